import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { ARTIFACTS, waitUntil } from './browser.js';

/** One user's tab of the demo app, driven through its UI (ids and data attributes of index.html). */
export class ChatPage {
  readonly name: string;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and uncaught exceptions of the page, for the failure message. */
  readonly errors: string[] = [];

  private constructor(name: string, context: BrowserContext, page: Page) {
    this.name = name;
    this.context = context;
    this.page = page;
    page.on('pageerror', (e) => this.errors.push(`pageerror: ${e.message}`));
  }

  /** A new browser context (its own IndexedDB: another device) with the app open. */
  static async open(browser: Browser, url: string, name: string): Promise<ChatPage> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const p = new ChatPage(name, context, page);
    await page.goto(url);
    return p;
  }

  async register(username: string, password: string): Promise<void> {
    const form = this.page.locator('#login-form');
    await form.locator('[name=username]').fill(username);
    await form.locator('[name=password]').fill(password);
    await form.locator('button[name=register]').click();
    await this.page.locator('#chat-screen').waitFor({ state: 'visible', timeout: 30_000 });
  }

  async login(username: string, password: string): Promise<void> {
    const form = this.page.locator('#login-form');
    await form.locator('[name=username]').fill(username);
    await form.locator('[name=password]').fill(password);
    await form.locator('button[name=login]').click();
    await this.page.locator('#chat-screen').waitFor({ state: 'visible', timeout: 30_000 });
  }

  connection(): Promise<string | null> {
    return this.attr('#connection', 'data-state');
  }

  async waitOnline(timeoutMs = 60_000): Promise<void> {
    await waitUntil(`${this.name} online`, async () => (await this.connection()) === 'online', timeoutMs);
  }

  /** Submits a one-field form of the sidebars (`create-room-form`, `invite-form`, …). */
  async submit(formId: string, value: string): Promise<void> {
    const form = this.page.locator(`#${formId}`);
    await form.locator('input').fill(value);
    await form.locator('button').click();
  }

  roomItem(roomId: string): Locator {
    return this.page.locator(`#room-list li[data-room-id="${roomId}"]`);
  }

  /** The timeline rows of messages whose body is exactly `body`. */
  messages(body: string): Locator {
    return this.page.locator('#events li.msg').filter({
      has: this.page.locator('.body', { hasText: new RegExp(`^${escapeRegExp(body)}$`) }),
    });
  }

  async send(body: string): Promise<void> {
    await this.page.locator('#composer-input').fill(body);
    await this.page.locator('#composer-input').press('Enter');
  }

  /** An attribute of the first element matching `selector`, `null` when there is none (no waiting). */
  attr(selector: string, name: string): Promise<string | null> {
    return this.page
      .locator(selector)
      .evaluateAll((els, n) => (els[0] ? els[0].getAttribute(n) : null), name);
  }

  /** The presence value of `userId`'s dot in the contact list or the member list. */
  presenceIn(list: 'contact-list' | 'member-list', userId: string): Promise<string | null> {
    return this.attr(`#${list} li[data-user-id="${userId}"] .dot`, 'data-presence');
  }

  async waitPresence(list: 'contact-list' | 'member-list', userId: string, value: number): Promise<void> {
    await waitUntil(
      `${this.name} to see ${userId} with presence ${value} in #${list}`,
      async () => (await this.presenceIn(list, userId)) === String(value),
    );
  }

  /**
   * The message bodies the client persisted for a room: the `cache/room/<roomId>` entry of the
   * IndexedDB store (docs/persistence.md), written 500 ms after a change.
   */
  cachedBodies(roomId: string): Promise<string[]> {
    const key = JSON.stringify(`cache/room/${roomId}`);
    // A string, evaluated in the page: the test's own types know no IndexedDB.
    return this.page.evaluate(`new Promise((resolve, reject) => {
      const open = indexedDB.open('parley');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const db = open.result;
        const get = db.transaction('kv').objectStore('kv').get(${key});
        get.onerror = () => { db.close(); reject(get.error); };
        get.onsuccess = () => {
          db.close();
          resolve((get.result?.events ?? []).map((e) => e.content?.body).filter((b) => typeof b === 'string'));
        };
      };
    })`);
  }

  async screenshot(step: string): Promise<void> {
    await this.page.screenshot({ path: join(ARTIFACTS, `${step}-${this.name}.png`) });
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
