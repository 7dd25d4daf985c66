console.log('ws-echo: not yet');
