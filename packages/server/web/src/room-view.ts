import type { DemoApp } from './demo-app.js';
import { byId } from './dom.js';
import { typingText } from './format.js';

/** The open room's header (name, id, in-call badge, call button) and who is typing. */
export function mountRoomHeader(app: DemoApp): void {
  const { client } = app;
  const callButton = byId<HTMLButtonElement>('call-button');
  const badge = byId('room-call-badge');

  const render = (): void => {
    const room = app.room;
    byId('no-room').hidden = room !== undefined;
    byId('room-pane').hidden = room === undefined;
    if (!room) return;
    byId('room-name').textContent = room.name ?? room.roomId;
    byId('room-id').textContent = room.roomId;
    // The flag is the server's: up while at least two users are in the call.
    badge.hidden = !room.inCall;
    const joined = app.calls.has(room.roomId);
    callButton.textContent = joined ? 'Leave call' : 'Join call';
    callButton.setAttribute('aria-pressed', String(joined));
    callButton.disabled = room.membership !== 'join';
    renderTyping();
  };
  const renderTyping = (): void => {
    const room = app.room;
    const others = (room?.typing ?? []).filter((u) => u !== client.userId);
    byId('typing').textContent = typingText(others);
  };

  client.on('rooms', render);
  client.on('inCall', (room) => room.roomId === app.roomId && render());
  client.on('typing', (room) => room.roomId === app.roomId && renderTyping());
  app.onChange(render);
  callButton.addEventListener('click', () => {
    if (app.roomId !== undefined) app.toggleCall(app.roomId);
  });
  render();
}
