// The demo web app in a real browser (Debian's Chromium through playwright-core) against
// `parley serve` from the build, on loopback: two browser contexts are two users on two devices.
// The steps build on each other (one story), so they run in order and share the pages.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiLogin, apiSendText, countOnServer } from './api.js';
import { ARTIFACTS, CHROMIUM, launchBrowser, waitUntil } from './browser.js';
import { ChatPage } from './chat-page.js';
import { freePort, ServeProcess } from './serve-process.js';

const SERVER_NAME = 'e2e.local';
const ALICE = `@alice:${SERVER_NAME}`;
const BOB = `@bob:${SERVER_NAME}`;
const PASSWORD = 'correct horse battery';

if (!existsSync(CHROMIUM))
  throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (see .ci/run)`);

describe('demo web app in Chromium', () => {
  let dataDir: string;
  let server: ServeProcess;
  let browser: Browser;
  let alice: ChatPage;
  let bob: ChatPage;
  let roomId = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
    const port = await freePort();
    server = new ServeProcess({
      port,
      dataDir,
      serverName: SERVER_NAME,
      logFile: join(ARTIFACTS, 'server.log'),
    });
    browser = await launchBrowser();
    await server.start();
    alice = await ChatPage.open(browser, server.url, 'alice');
    bob = await ChatPage.open(browser, server.url, 'bob');
  });

  afterAll(async () => {
    for (const p of [alice, bob]) if (p?.errors.length) console.error(`${p.name}:`, p.errors);
    await browser?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the app at / and still answers unknown paths with a Matrix 404', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await index.text()).toContain('<script type="module" src="app.js">');
    const unknown = await fetch(`${server.url}/_matrix/client/v3/no-such-thing`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ errcode: 'M_UNRECOGNIZED' });
  });

  it('registers two users, who come online', async () => {
    await alice.register('alice', PASSWORD);
    await bob.register('bob', PASSWORD);
    await alice.waitOnline();
    await bob.waitOnline();
    expect(await alice.page.locator('#me-name').textContent()).toBe(ALICE);
  });

  it('alice creates a room and invites bob, who joins it', async () => {
    await alice.submit('create-room-form', 'Weekend plans');
    await alice.page.locator('#room-pane').waitFor({ state: 'visible' });
    roomId = (await alice.page.locator('#room-id').textContent()) ?? '';
    expect(roomId).toMatch(/^!/);
    await alice.submit('invite-form', BOB);
    await alice.page.locator(`#member-list li[data-user-id="${BOB}"][data-membership=invite]`).waitFor();
    // The invitation reaches bob's room list through sync (membership "invite"), with its join
    // badge; he joins by clicking it.
    const invitation = bob.roomItem(roomId);
    await invitation.locator('.badge.invite').waitFor();
    expect(await invitation.locator('.name').textContent()).toBe('Weekend plans');
    await invitation.locator('button').click();
    await waitUntil(
      'bob in the room',
      async () => (await bob.page.locator('#room-id').textContent()) === roomId,
    );
    for (const p of [alice, bob]) {
      await p.page.locator(`#member-list li[data-user-id="${ALICE}"][data-membership=join]`).waitFor();
      await p.page.locator(`#member-list li[data-user-id="${BOB}"][data-membership=join]`).waitFor();
    }
    await bob.roomItem(roomId).locator('.badge.invite').waitFor({ state: 'detached' });
    await bob.screenshot('01-joined');
  });

  it('they exchange messages', async () => {
    await alice.send('Hi Bob! Hiking on Saturday?');
    await bob.messages('Hi Bob! Hiking on Saturday?').waitFor();
    await bob.send('Sounds great.');
    await alice.messages('Sounds great.').waitFor();
    await alice
      .messages('Hi Bob! Hiking on Saturday?')
      .and(alice.page.locator('[data-status=remote]'))
      .waitFor();
    expect(await bob.messages('Hi Bob! Hiking on Saturday?').count()).toBe(1);
    await alice.screenshot('02-messages');
  });

  it("each sees the other's typing", async () => {
    await alice.page.locator('#composer-input').fill('Let me check the wea');
    await waitUntil('bob sees alice typing', async () =>
      ((await bob.page.locator('#typing').textContent()) ?? '').includes('alice is typing'),
    );
    await bob.screenshot('03-typing');
    await alice.page.locator('#composer-input').fill('');
    await waitUntil(
      'alice no longer typing',
      async () => (await bob.page.locator('#typing').textContent()) === '',
    );
    await bob.page.locator('#composer-input').fill('Bring');
    await waitUntil('alice sees bob typing', async () =>
      ((await alice.page.locator('#typing').textContent()) ?? '').includes('bob is typing'),
    );
    await bob.page.locator('#composer-input').fill('');
  });

  it("sees each other's presence change, as contacts and as room peers", async () => {
    await alice.submit('add-contact-form', BOB);
    await bob.submit('add-contact-form', ALICE);
    await alice.waitPresence('contact-list', BOB, 3);
    await bob.waitPresence('contact-list', ALICE, 3);
    await bob.waitPresence('member-list', ALICE, 3);

    await alice.page.locator('#presence-select').selectOption('1'); // busy
    await bob.waitPresence('contact-list', ALICE, 1);
    await bob.waitPresence('member-list', ALICE, 1);
    await waitUntil(
      'alice sees her own presence from the server',
      async () => (await alice.attr('#me-dot', 'data-presence')) === '1',
    );
    await bob.screenshot('04-presence-busy');

    await alice.page.locator('#presence-select').selectOption('0'); // invisible
    await bob.waitPresence('contact-list', ALICE, 0);
    await alice.page.locator('#presence-select').selectOption('3');
    await bob.waitPresence('contact-list', ALICE, 3);
  });

  it('raises the in-call flag once both are in the call, and lowers it when one leaves', async () => {
    const badge = (p: ChatPage) => p.page.locator('#room-call-badge');
    await alice.page.locator('#call-button').click();
    expect(await alice.page.locator('#call-button').textContent()).toBe('Leave call');
    // One user alone is not a call yet.
    expect(await badge(bob).isVisible()).toBe(false);
    await bob.page.locator('#call-button').click();
    await badge(alice).waitFor({ state: 'visible' });
    await badge(bob).waitFor({ state: 'visible' });
    await alice.roomItem(roomId).locator('.badge.call').waitFor();
    await alice.screenshot('05-in-call');
    await bob.page.locator('#call-button').click();
    await badge(alice).waitFor({ state: 'hidden' });
    await badge(bob).waitFor({ state: 'hidden' });
    await alice.page.locator('#call-button').click();
  });

  it('survives a server restart: reconnects by itself, delivers a message typed offline once', async () => {
    const offline = 'Typed while the server was down';
    await server.stop();
    await waitUntil('alice notices', async () => (await alice.connection()) !== 'online');
    await alice.send(offline);
    await alice.messages(offline).and(alice.page.locator('[data-status=sending]')).waitFor();
    await alice.page.locator('#pending').waitFor({ state: 'visible' });
    await alice.screenshot('06-offline');

    await server.start();
    await alice.waitOnline(90_000);
    await bob.waitOnline(90_000);
    await bob.messages(offline).waitFor({ timeout: 60_000 });
    await alice
      .messages(offline)
      .and(alice.page.locator('[data-status=remote]'))
      .waitFor({ timeout: 60_000 });
    await alice.page.locator('#pending').waitFor({ state: 'hidden' });
    expect(await bob.messages(offline).count()).toBe(1);
    expect(await alice.messages(offline).count()).toBe(1);
    const token = await apiLogin(server.url, 'alice', PASSWORD);
    expect(await countOnServer(server.url, token, roomId, offline)).toBe(1);
    // The realtime channel is back too: presence flows again.
    await alice.page.locator('#presence-select').selectOption('1');
    await bob.waitPresence('member-list', ALICE, 1);
    await bob.screenshot('07-after-restart');
  });

  it('shows the cached room at once after a reload, before any network answer', async () => {
    await waitUntil('bob to persist the room', async () =>
      (await bob.cachedBodies(roomId)).includes('Typed while the server was down'),
    );
    // Block the API (not the page's own files): whatever shows comes from IndexedDB.
    await bob.page.route(/\/_(matrix|parley)\//, (route) => route.abort('connectionrefused'));
    await bob.page.reload();
    await bob.page.locator('#chat-screen').waitFor({ state: 'visible' });
    await waitUntil(
      'cached room shown',
      async () => (await bob.page.locator('#room-id').textContent()) === roomId,
    );
    await bob.messages('Typed while the server was down').waitFor();
    await bob.messages('Sounds great.').waitFor();
    expect(await bob.connection()).not.toBe('online');
    await bob.screenshot('08-reload-cached');
    await bob.page.unroute(/\/_(matrix|parley)\//);
    await bob.waitOnline(90_000);
  });

  it('pages back through the history on a new device', async () => {
    // More messages than the first sync page (timeline_limit 30) holds.
    const token = await apiLogin(server.url, 'alice', PASSWORD);
    for (let i = 1; i <= 40; i++)
      await apiSendText(server.url, token, roomId, `history ${i}`, `e2e-history-${i}`);
    const laptop = await ChatPage.open(browser, server.url, 'bob-laptop');
    try {
      await laptop.login('bob', PASSWORD);
      await laptop.roomItem(roomId).locator('button').click();
      await laptop.messages('history 40').waitFor();
      expect(await laptop.messages('history 1').count()).toBe(0);
      const older = laptop.page.locator('#load-older');
      // Scrolling to the top (or the button) loads 30 more at a time, until the room's start.
      for (let page = 0; page < 10 && (await older.isVisible()); page++) {
        await older.click();
        await waitUntil('a page of history', async () => !(await older.isDisabled()));
      }
      await laptop.messages('history 1').waitFor();
      await laptop.page.getByText('alice created the room').waitFor();
      await older.waitFor({ state: 'hidden' });
      expect(await laptop.messages('Hi Bob! Hiking on Saturday?').count()).toBe(1);
      await laptop.screenshot('09-history');
    } finally {
      await laptop.context.close();
    }
  });
});
