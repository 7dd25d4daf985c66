import type { DemoApp } from './demo-app.js';
import { byId, field, h } from './dom.js';
import { localpart } from './format.js';
import { presenceDot } from './presence-dot.js';

/**
 * Contacts with presence dots, and the form to add one. Presence of a contact shows only once
 * both users added each other (or share a room).
 */
export function mountContacts(app: DemoApp): void {
  const { client } = app;
  const list = byId('contact-list');

  const render = (): void => {
    const ids = [...client.contacts.keys()].sort();
    list.replaceChildren(
      ...ids.map((userId) =>
        h(
          'li',
          { 'data-user-id': userId },
          presenceDot(client.presenceOf(userId)),
          h('span', { class: 'name', title: userId }, localpart(userId)),
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              title: `Remove ${userId}`,
              'aria-label': `Remove ${userId}`,
              onclick: () => client.removeContact(userId).then(render, (e: unknown) => app.report(e)),
            },
            '×',
          ),
        ),
      ),
    );
  };

  // The client has no event for the contact list itself: it is refreshed from the server when
  // the client connects, and presence changes come as `presence`.
  client.on('presence', render);
  client.on('connection', render);
  client.on('session', render);

  const form = byId<HTMLFormElement>('add-contact-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await client.addContact(field(form, 'userId'));
      form.reset();
    } catch (err) {
      app.report(err);
    }
    render();
  });
}
