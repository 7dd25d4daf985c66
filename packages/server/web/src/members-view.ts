import type { RoomMember } from '@parley/core';
import type { DemoApp } from './demo-app.js';
import { byId, field, h } from './dom.js';
import { localpart } from './format.js';
import { presenceDot } from './presence-dot.js';

const ORDER: Record<string, number> = { join: 0, invite: 1 };

/** The open room's members with presence dots (room peers see each other), and the invite form. */
export function mountMembers(app: DemoApp): void {
  const { client } = app;
  const list = byId('member-list');
  const form = byId<HTMLFormElement>('invite-form');

  const item = (m: RoomMember): HTMLLIElement =>
    h(
      'li',
      { 'data-user-id': m.userId, 'data-membership': m.membership },
      presenceDot(client.presenceOf(m.userId)),
      h('span', { class: 'name', title: m.userId }, m.displayName ?? localpart(m.userId)),
      m.userId === client.userId && h('span', { class: 'role' }, 'you'),
      m.membership === 'invite' && h('span', { class: 'role' }, 'invited'),
    );

  const render = (): void => {
    const room = app.room;
    form.hidden = room === undefined || room.membership !== 'join';
    const members = [...(room?.members.values() ?? [])]
      .filter((m) => m.membership in ORDER)
      .sort((a, b) => ORDER[a.membership]! - ORDER[b.membership]! || a.userId.localeCompare(b.userId));
    list.replaceChildren(...members.map(item));
  };

  client.on('members', (room) => room.roomId === app.roomId && render());
  client.on('presence', render);
  client.on('ownPresence', render);
  app.onChange(render);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const roomId = app.roomId;
    if (roomId === undefined) return;
    const userId = field(form, 'userId');
    try {
      await client.invite(roomId, userId);
      form.reset();
      app.report(`Invited ${userId}`);
    } catch (err) {
      app.report(err);
    }
  });
  render();
}
