import type { DemoApp } from './demo-app.js';
import { byId, field } from './dom.js';
import { errorText } from './format.js';

/** The register / log in form, shown while nobody is logged in. */
export function mountLogin(app: DemoApp): void {
  const { client } = app;
  const form = byId<HTMLFormElement>('login-form');
  const error = byId('login-error');
  byId('server-name').textContent = location.host;

  const show = (loggedIn: boolean): void => {
    byId('login-screen').hidden = loggedIn;
    byId('chat-screen').hidden = !loggedIn;
  };
  client.on('session', (creds) => show(creds !== undefined));
  client.on('sessionEnded', (e) => {
    error.textContent = `Logged out by the server (${errorText(e)}). Log in again.`;
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const username = field(form, 'username');
    const password = field(form, 'password');
    const register = (e as SubmitEvent).submitter?.getAttribute('name') === 'register';
    error.textContent = '';
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    try {
      if (register) await client.register({ username, password });
      else await client.login({ user: username, password });
      form.reset();
    } catch (err) {
      error.textContent = errorText(err);
    } finally {
      for (const b of form.querySelectorAll('button')) b.disabled = false;
    }
  });
  show(client.credentials !== undefined);
}
