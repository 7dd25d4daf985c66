import type { DemoApp } from './demo-app.js';
import { byId } from './dom.js';

/** The server clears a typing notification after this long without a renewal. */
const TYPING_TIMEOUT_MS = 30_000;
/** A still-typing user renews the notification this often. */
const TYPING_RENEW_MS = 20_000;
/** No keystroke for this long counts as having stopped typing. */
const TYPING_IDLE_MS = 5_000;

/**
 * The message box. Sending works offline too: the client keeps the message in its outbox and
 * shows it at once (faded until the server has it). Typing notifications are sent on the first
 * keystroke, renewed while typing, and withdrawn after a pause, on send, or on leaving the room.
 */
export function mountComposer(app: DemoApp): void {
  const { client } = app;
  const form = byId<HTMLFormElement>('composer');
  const input = byId<HTMLInputElement>('composer-input');
  let typingIn: string | undefined; // the room told that we type
  let renewedAt = 0;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  // Typing is a hint: a failure (e.g. offline) is not worth a message to the user.
  const setTyping = (roomId: string, typing: boolean): void => {
    client.setTyping(roomId, typing, { timeoutMs: TYPING_TIMEOUT_MS }).catch(() => undefined);
  };
  const stopTyping = (): void => {
    clearTimeout(idleTimer);
    if (typingIn !== undefined) setTyping(typingIn, false);
    typingIn = undefined;
  };

  input.addEventListener('input', () => {
    const roomId = app.roomId;
    if (roomId === undefined || input.value.trim() === '') {
      stopTyping();
      return;
    }
    if (typingIn !== roomId) stopTyping();
    const now = Date.now();
    if (typingIn !== roomId || now - renewedAt > TYPING_RENEW_MS) {
      setTyping(roomId, true);
      typingIn = roomId;
      renewedAt = now;
    }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const roomId = app.roomId;
    const body = input.value.trim();
    if (roomId === undefined || body === '') return;
    input.value = '';
    stopTyping();
    try {
      await client.sendText(roomId, body);
    } catch (err) {
      // Only a full outbox or a lost login refuse a message; give the text back.
      input.value = body;
      app.report(err);
    }
  });

  app.onChange(() => {
    if (typingIn !== app.roomId) stopTyping();
    input.disabled = app.room?.membership !== 'join';
  });
}
