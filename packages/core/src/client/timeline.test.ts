import { describe, expect, it } from 'vitest';
import type { MatrixEvent } from './api-types.js';
import { Timeline, type TimelineItem } from './timeline.js';

const ev = (n: number, txn?: string): MatrixEvent => ({
  event_id: `$${n}`,
  type: 'm.room.message',
  sender: '@a:hs',
  origin_server_ts: n,
  content: { body: `m${n}` },
  ...(txn ? { unsigned: { transaction_id: txn } } : {}),
});

const echo = (txnId: string): TimelineItem => ({
  eventId: undefined,
  txnId,
  type: 'm.room.message',
  sender: '@a:hs',
  content: { body: txnId },
  stateKey: undefined,
  ts: 0,
  status: 'sending',
});

const ids = (t: Timeline) =>
  t.items.map((i) => (i.status === 'remote' ? i.eventId : `echo:${i.txnId}:${i.status}`));

describe('Timeline local echo', () => {
  it('keeps echoes after confirmed events and replaces one matched by transaction_id', () => {
    const t = new Timeline();
    t.appendLive([ev(1)]);
    t.addEcho(echo('t1'));
    t.addEcho(echo('t2'));
    t.appendLive([ev(2)]);
    expect(ids(t)).toEqual(['$1', '$2', 'echo:t1:sending', 'echo:t2:sending']);
    const r = t.appendLive([ev(3, 't1')]);
    expect(r.replaced).toEqual(['t1']);
    expect(ids(t)).toEqual(['$1', '$2', '$3', 'echo:t2:sending']);
    expect(t.items[2]?.txnId).toBe('t1');
  });

  it('replaces an echo by event id when the send answer came before the sync event', () => {
    const t = new Timeline();
    t.addEcho(echo('t1'));
    expect(t.markSent('t1', '$9')).toBe(true);
    expect(ids(t)).toEqual(['echo:t1:sent']);
    // The server did not echo transaction_id; the event id still matches.
    t.appendLive([ev(9)]);
    expect(ids(t)).toEqual(['$9']);
    expect(t.items[0]?.txnId).toBe('t1');
  });

  it('drops the echo when the sync event came before the send answer', () => {
    const t = new Timeline();
    t.addEcho(echo('t1'));
    t.appendLive([ev(9)]);
    expect(ids(t)).toEqual(['$9', 'echo:t1:sending']);
    t.markSent('t1', '$9');
    expect(ids(t)).toEqual(['$9']);
  });

  it('ignores duplicate events and marks failures', () => {
    const t = new Timeline();
    t.appendLive([ev(1), ev(1)]);
    t.appendLive([ev(1)]);
    t.addEcho(echo('x'));
    expect(t.setEchoStatus('x', 'failed')).toBe(true);
    expect(t.setEchoStatus('nope', 'failed')).toBe(false);
    expect(ids(t)).toEqual(['$1', 'echo:x:failed']);
    expect(t.removeEcho('x')).toBe(true);
    expect(ids(t)).toEqual(['$1']);
  });
});

describe('Timeline history and bounds', () => {
  it('prepends /messages chunks (newest first) in order and records the token', () => {
    const t = new Timeline();
    t.appendLive([ev(5), ev(6)]);
    t.prependHistory([ev(4), ev(3), ev(5)], 'tok-older');
    expect(ids(t)).toEqual(['$3', '$4', '$5', '$6']);
    expect(t.prevBatch).toBe('tok-older');
    t.prependHistory([ev(2)], undefined);
    expect(t.atStart).toBe(true);
  });

  it('caps confirmed events, dropping the oldest, and forgets their ids', () => {
    const t = new Timeline(3);
    t.appendLive([ev(1), ev(2), ev(3), ev(4)]);
    expect(ids(t)).toEqual(['$2', '$3', '$4']);
    expect(t.trimmed).toBe(true);
    expect(t.has('$1')).toBe(false);
  });

  it('reset() restores cached items and keeps echoes', () => {
    const t = new Timeline();
    t.addEcho(echo('e'));
    const cached = new Timeline();
    cached.appendLive([ev(7), ev(8)]);
    t.reset(cached.events, 'pb');
    expect(ids(t)).toEqual(['$7', '$8', 'echo:e:sending']);
    expect(t.prevBatch).toBe('pb');
    expect(t.has('$8')).toBe(true);
  });
});
