import type { Timeline, TimelineItem } from '@parley/core';
import type { DemoApp } from './demo-app.js';
import { byId, h } from './dom.js';
import { formatTime, localpart } from './format.js';

/** Scrolled this close to the bottom counts as "at the bottom" (new messages keep it there). */
const STICK_PX = 48;
/** Scrolled this close to the top loads older messages. */
const LOAD_PX = 24;
const PAGE = 30;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A line for the state events worth showing; `undefined` hides the event. */
function noticeText(item: TimelineItem): string | undefined {
  const who = localpart(item.sender);
  switch (item.type) {
    case 'm.room.create':
      return `${who} created the room`;
    case 'm.room.name':
      return `${who} named the room "${str(item.content.name)}"`;
    case 'm.room.member': {
      const target = localpart(item.stateKey ?? '');
      const m = str(item.content.membership);
      if (m === 'join') return `${target} joined`;
      if (m === 'invite') return `${who} invited ${target}`;
      if (m === 'leave') return item.sender === item.stateKey ? `${target} left` : `${who} removed ${target}`;
      if (m === 'ban') return `${who} banned ${target}`;
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Nothing older to load: paging reached the start, or the room's first event is held. */
function atStart(timeline: Timeline): boolean {
  return timeline.atStart || timeline.events[0]?.type === 'm.room.create';
}

/**
 * The open room's timeline: confirmed events, then local echoes (faded while being sent, with
 * retry / discard when the server refused them). Older messages load on scrolling to the top
 * (or the button), keeping the reading position.
 */
export function mountTimeline(app: DemoApp): void {
  const { client } = app;
  const scroller = byId('timeline');
  const list = byId('events');
  const older = byId<HTMLButtonElement>('load-older');
  let loading = false;
  let shownRoom: string | undefined;

  const message = (item: TimelineItem): HTMLLIElement => {
    const mine = item.sender === client.userId;
    const failed = item.status === 'failed';
    return h(
      'li',
      {
        class: mine ? 'msg mine' : 'msg',
        'data-status': item.status,
        'data-event-id': item.eventId,
        'data-txn-id': item.txnId,
      },
      h('span', { class: 'sender', title: item.sender }, localpart(item.sender)),
      h('span', { class: 'body' }, str(item.content.body)),
      h('time', { datetime: new Date(item.ts).toISOString() }, formatTime(item.ts)),
      item.status === 'sending' && h('span', { class: 'state' }, 'sending…'),
      failed && h('span', { class: 'state' }, 'not sent · ', retryButtons(item.txnId)),
    );
  };
  const retryButtons = (txnId: string | undefined): DocumentFragment => {
    const f = document.createDocumentFragment();
    if (txnId === undefined) return f;
    const act = (p: Promise<void>): void => void p.catch((e: unknown) => app.report(e));
    f.append(
      h('button', { type: 'button', class: 'link', onclick: () => act(client.retrySend(txnId)) }, 'retry'),
      ' · ',
      h('button', { type: 'button', class: 'link', onclick: () => act(client.cancelSend(txnId)) }, 'discard'),
    );
    return f;
  };
  const row = (item: TimelineItem): HTMLLIElement | undefined => {
    if (item.type === 'm.room.message') return message(item);
    const text = noticeText(item);
    return text === undefined ? undefined : h('li', { class: 'notice' }, text);
  };

  /** Re-renders; `keep` holds the distance from the bottom when older events were prepended. */
  const render = (keep?: number): void => {
    const room = app.room;
    const switched = room?.roomId !== shownRoom;
    shownRoom = room?.roomId;
    const fromBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
    const rows = (room?.timeline.items ?? []).map(row).filter((r) => r !== undefined);
    list.replaceChildren(...rows);
    older.hidden = room === undefined || atStart(room.timeline);
    older.disabled = loading;
    if (keep !== undefined) scroller.scrollTop = scroller.scrollHeight - scroller.clientHeight - keep;
    else if (switched || fromBottom < STICK_PX) scroller.scrollTop = scroller.scrollHeight;
  };

  const loadOlder = async (): Promise<void> => {
    const roomId = app.roomId;
    if (loading || roomId === undefined || app.room === undefined || atStart(app.room.timeline)) return;
    loading = true;
    older.disabled = true;
    try {
      await client.loadOlder(roomId, { limit: PAGE });
    } catch (e) {
      app.report(e);
    } finally {
      loading = false;
      older.disabled = false;
      if (app.room === undefined || atStart(app.room.timeline)) older.hidden = true;
    }
  };

  const forOpen = (roomId: string, fn: () => void): void => {
    if (roomId === app.roomId) fn();
  };
  client.on('timeline', (room) => forOpen(room.roomId, () => render()));
  client.on('echo', (room) => forOpen(room.roomId, () => render()));
  client.on('history', (room) =>
    forOpen(room.roomId, () => render(scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight)),
  );
  app.onChange(() => render());
  older.addEventListener('click', () => void loadOlder());
  scroller.addEventListener('scroll', () => {
    if (scroller.scrollTop < LOAD_PX && scroller.scrollHeight > scroller.clientHeight) void loadOlder();
  });
}
