/**
 * The Parley demo web app: a small chat built on `@parley/transport-browser`, served by
 * `parley serve` at `/` (see docs/demo.md). Plain DOM, no framework: each view subscribes to the
 * client's typed events and re-renders its part of the page from the client's state.
 */
import { createClient, watchBrowser } from '@parley/transport-browser';
import { mountComposer } from './composer.js';
import { mountContacts } from './contacts-view.js';
import { DemoApp } from './demo-app.js';
import { PRESENCE } from './format.js';
import { mountLogin } from './login-view.js';
import { mountMembers } from './members-view.js';
import { savedPresence } from './prefs.js';
import { mountRoomList } from './room-list-view.js';
import { mountRoomHeader } from './room-view.js';
import { mountStatusBar } from './status-bar.js';
import { mountTimeline } from './timeline-view.js';

const client = createClient({
  // The app is served by the server it talks to.
  baseUrl: location.origin,
  realtime: { presence: savedPresence(PRESENCE.online), idlePresence: PRESENCE.away },
});
watchBrowser(client);
const app = new DemoApp(client);

mountStatusBar(app);
mountLogin(app);
mountRoomList(app);
mountContacts(app);
mountRoomHeader(app);
mountTimeline(app);
mountComposer(app);
mountMembers(app);

client.on('session', (creds) => {
  if (creds !== undefined) return;
  // Logged out (or the server ended the session): the client stopped every call heartbeat.
  app.calls.clear();
  app.closeRoom();
});
client.on('warning', (e) => console.debug('parley:', e.code, e.message));

// For the console and the end-to-end tests.
Object.assign(globalThis, { parley: client });

// The stored session, rooms, recent timelines and unsent messages come from IndexedDB before any
// network answer, so the last room is shown at once after a reload, even offline.
client.start().then(
  () => {
    const last = app.lastRoom();
    if (last !== undefined) void app.openRoom(last);
  },
  (e: unknown) => app.report(e),
);
