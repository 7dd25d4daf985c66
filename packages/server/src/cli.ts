console.log('parley: not yet');
