import type { Room } from '@parley/core';
import type { DemoApp } from './demo-app.js';
import { byId, field, h } from './dom.js';

/** The room list (with in-call and invitation badges) and the create / join forms. */
export function mountRoomList(app: DemoApp): void {
  const { client } = app;
  const list = byId('room-list');

  const join = async (roomId: string): Promise<void> => {
    try {
      await client.joinRoom(roomId);
      await app.openRoom(roomId);
    } catch (e) {
      app.report(e);
    }
  };

  const item = (room: Room): HTMLLIElement => {
    const invited = room.membership === 'invite';
    const name = room.name ?? room.roomId;
    const selected = room.roomId === app.roomId;
    return h(
      'li',
      { class: selected ? 'selected' : undefined, 'data-room-id': room.roomId },
      h(
        'button',
        {
          type: 'button',
          title: room.roomId,
          'aria-current': selected ? 'true' : undefined,
          onclick: () => (invited ? join(room.roomId) : app.openRoom(room.roomId)),
        },
        h('span', { class: 'name' }, name),
        room.inCall && h('span', { class: 'badge call', title: 'A call is going on' }, 'call'),
        invited && h('span', { class: 'badge invite', title: 'Invited: click to join' }, 'join'),
      ),
    );
  };

  const render = (): void => {
    const rooms = client.rooms.filter((r) => r.membership === 'join' || r.membership === 'invite');
    list.replaceChildren(...rooms.map(item));
  };

  client.on('rooms', render);
  client.on('inCall', render);
  client.on('roomLeft', (roomId) => {
    if (roomId === app.roomId) app.closeRoom();
    render();
  });
  client.on('session', render);
  app.onChange(render);

  const create = byId<HTMLFormElement>('create-room-form');
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const { roomId } = await client.createRoom({ name: field(create, 'name'), preset: 'public_chat' });
      create.reset();
      await app.openRoom(roomId);
    } catch (err) {
      app.report(err);
    }
  });
  const joinForm = byId<HTMLFormElement>('join-room-form');
  joinForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const roomId = field(joinForm, 'roomId');
    joinForm.reset();
    void join(roomId);
  });
}
