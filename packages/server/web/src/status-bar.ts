import type { DemoApp } from './demo-app.js';
import { byId } from './dom.js';
import { presenceName } from './format.js';
import { savedPresence } from './prefs.js';

/** The top bar: connection state, unsent messages, who is logged in, own presence, logout. */
export function mountStatusBar(app: DemoApp): void {
  const { client } = app;
  const connection = byId('connection');
  const pending = byId('pending');
  const dot = byId('me-dot');
  const select = byId<HTMLSelectElement>('presence-select');

  const renderConnection = (): void => {
    connection.dataset.state = client.connection;
    document.body.dataset.connection = client.connection;
    byId('connection-text').textContent = client.connection;
  };
  const renderPending = (): void => {
    const n = client.pending.length;
    const failed = client.pending.filter((e) => e.failed !== undefined).length;
    pending.hidden = n === 0;
    pending.textContent = failed > 0 ? `${n} unsent (${failed} failed)` : `${n} unsent`;
  };
  // Own presence is shown only as the server computed it (merged over all of the user's devices).
  const renderOwnPresence = (): void => {
    const p = client.ownPresence;
    dot.className = `dot ${presenceName(p)}`;
    dot.dataset.presence = String(p);
    dot.title = `You appear ${presenceName(p)} to others`;
  };

  client.on('connection', renderConnection);
  client.on('echo', renderPending);
  client.on('ownPresence', renderOwnPresence);
  client.on('session', (creds) => {
    byId('me').hidden = creds === undefined;
    byId('me-name').textContent = creds?.userId ?? '';
    renderConnection();
    renderPending();
    renderOwnPresence();
  });

  select.value = String(savedPresence(3));
  select.addEventListener('change', () => app.setPresence(Number(select.value)));
  byId('logout').addEventListener('click', () => {
    app.closeRoom();
    client.logout().catch((e: unknown) => app.report(e));
  });
  renderConnection();
}
