import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.js';
import { RealtimeClient } from './client.js';
import type { RealtimeClientEvent } from './client-events.js';
import type { ClientCommand, ServerCommand } from './commands.js';
import { decodeClientCommands } from './decode.js';
import { encodeServerCommands } from './encode.js';
import { ZERO_HANDLE } from './handle.js';
import { OP_HELLO, OP_IN_CALL, OP_KEEPALIVE, OP_PRES, OP_RTMSG, OP_SETPRES } from './opcodes.js';
import { h } from './router-harness.js';

const ROOM = h(100);
const IDLE = 0x80;

/** A client driven by hand: the test plays the server. */
function setup(options = {}) {
  const clock = new FakeClock(0);
  const client = new RealtimeClient(options);
  const sent = (): ClientCommand[] => {
    const out: ClientCommand[] = [];
    for (let t = client.pollTransmit(); t !== undefined; t = client.pollTransmit()) {
      if (!('bytes' in t)) throw new Error(`unexpected close ${JSON.stringify(t)}`);
      const d = decodeClientCommands(t.bytes);
      if (!d.ok) throw d.error;
      out.push(...d.commands);
    }
    return out;
  };
  const events = (): RealtimeClientEvent[] => {
    const out: RealtimeClientEvent[] = [];
    for (let e = client.poll(); e !== undefined; e = client.poll()) out.push(e);
    return out;
  };
  const serve = (...cmds: ServerCommand[]) => client.handleMessage(encodeServerCommands(cmds), clock.now());
  /** Advances time, calling handleTimeout at each deadline on the way, as an adapter would. */
  const advance = (ms: number) => {
    const target = clock.now() + ms;
    for (let t = client.pollTimeout(); t !== undefined && t <= target; t = client.pollTimeout()) {
      clock.advance(Math.max(0, t - clock.now()));
      client.handleTimeout(clock.now());
    }
    clock.advance(target - clock.now());
  };
  const login = () => {
    client.handleOpen(clock.now());
    serve({ op: OP_HELLO, clientId: 42 }, { op: OP_PRES, user: ZERO_HANDLE, presence: 3 });
  };
  return { clock, client, sent, events, serve, advance, login };
}

describe('RealtimeClient: login', () => {
  it('sends HELLO with its version and presence, then learns its client id and own presence', () => {
    const { client, sent, events, serve, clock } = setup({ presence: 4 });
    client.handleOpen(clock.now());
    expect(client.state).toBe('hello_sent');
    expect(sent()).toEqual([{ op: OP_HELLO, clientVersion: 1, presence: 4 }]);
    serve(
      { op: OP_HELLO, clientId: 42 },
      { op: OP_IN_CALL, room: ROOM, status: 1 },
      { op: OP_PRES, user: h(2), presence: 3 },
      { op: OP_PRES, user: ZERO_HANDLE, presence: 4 },
    );
    expect(events()).toEqual([
      { type: 'hello', clientId: 42 },
      { type: 'in_call', room: ROOM, flag: true },
      { type: 'presence', user: h(2), presence: 3 },
      { type: 'own_presence', presence: 4 },
      { type: 'ready' },
    ]);
    expect(client.state).toBe('logged_in');
    expect(client.clientId).toBe(42);
    expect(client.inCallFlag(ROOM)).toBe(true);
    expect(client.presenceOf(h(2))).toBe(3);
  });

  it('takes its own presence only from OP_PRES user 0, never from what it asked for', () => {
    const { client, sent, serve, login, clock } = setup();
    login();
    sent();
    client.setPresence(4, clock.now());
    expect(sent()).toEqual([{ op: OP_SETPRES, presence: 4 }]);
    expect(client.ownPresence).toBe(3);
    expect(client.userPresence).toBe(4);
    serve({ op: OP_PRES, user: ZERO_HANDLE, presence: 4 });
    expect(client.ownPresence).toBe(4);
  });

  it('forgets what the server told it when the socket closes', () => {
    const { client, events, serve, login, clock } = setup();
    login();
    serve({ op: OP_PRES, user: h(2), presence: 3 });
    events();
    client.handleClose(clock.now(), 1006, '');
    expect(events()).toEqual([{ type: 'closed', code: 1006, reason: '' }]);
    expect([client.state, client.clientId, client.ownPresence, client.presenceOf(h(2))]).toEqual([
      'disconnected',
      0,
      0,
      0,
    ]);
    expect(() => client.sendRtmsg({ room: ROOM, msgtype: 0, data: new Uint8Array() }, 0)).toThrowError(
      expect.objectContaining({ code: 'not_connected' }),
    );
  });
});

describe('RealtimeClient: protocol errors', () => {
  it('closes with 1002 on bytes it cannot decode', () => {
    const { client, events, login, clock } = setup();
    login();
    events();
    client.handleMessage(new Uint8Array([0x3d, 1, 2]), clock.now());
    expect(client.pollTransmit()).toEqual({
      close: { code: 1002, reason: expect.stringContaining('truncated OP_PRES') },
    });
    expect(events()).toMatchObject([{ type: 'error', error: { code: 'protocol', reason: 'truncated' } }]);
    expect(client.state).toBe('closing');
  });

  it('closes with 1002 on a command before the server HELLO', () => {
    const { client, serve, sent, clock } = setup();
    client.handleOpen(clock.now());
    sent();
    serve({ op: OP_PRES, user: ZERO_HANDLE, presence: 3 });
    expect(client.pollTransmit()).toEqual({ close: { code: 1002, reason: 'command before OP_HELLO' } });
  });
});

describe('RealtimeClient: in-call heartbeat', () => {
  it('beats at once and every 3 s (configurable) while in a call, sends 0 on leaving', () => {
    const { client, sent, login, advance, clock } = setup();
    login();
    sent();
    client.setInCall(ROOM, true, clock.now());
    expect(sent()).toEqual([{ op: OP_IN_CALL, room: ROOM, status: 1 }]);
    advance(2999);
    expect(sent()).toEqual([]);
    advance(1);
    expect(sent()).toEqual([{ op: OP_IN_CALL, room: ROOM, status: 1 }]);
    advance(9000);
    expect(sent().filter((c) => c.op === OP_IN_CALL)).toHaveLength(3);
    client.setInCall(ROOM, false, clock.now());
    expect(sent()).toEqual([{ op: OP_IN_CALL, room: ROOM, status: 0 }]);
    advance(10_000);
    expect(sent().filter((c) => c.op === OP_IN_CALL)).toEqual([]);
  });

  it('resumes the heartbeat right after HELLO on a new connection', () => {
    const { client, sent, login, clock } = setup({ heartbeatIntervalMs: 2000 });
    login();
    client.setInCall(ROOM, true, clock.now());
    client.handleClose(clock.now());
    sent();
    client.handleOpen(clock.now());
    expect(sent()).toEqual([
      { op: OP_HELLO, clientVersion: 1, presence: 3 },
      { op: OP_IN_CALL, room: ROOM, status: 1 },
    ]);
  });
});

describe('RealtimeClient: idle timer', () => {
  it('lowers presence with the idle flag after idleAfterMs, restores the user value on activity', () => {
    const { client, sent, login, advance, clock } = setup({
      idleAfterMs: 60_000,
      idlePresence: 2,
      keepaliveIntervalMs: 1e9,
    });
    login();
    sent();
    advance(30_000);
    client.activity(clock.now()); // restarts the timer, sends nothing (not idle)
    expect(sent()).toEqual([]);
    advance(59_999);
    expect(sent()).toEqual([]);
    advance(1);
    expect(client.idle).toBe(true);
    expect(sent()).toEqual([{ op: OP_SETPRES, presence: IDLE | 2 }]);
    advance(120_000);
    expect(sent()).toEqual([]); // fires once per idle period
    client.activity(clock.now());
    expect(sent()).toEqual([{ op: OP_SETPRES, presence: 3 }]);
    client.activity(clock.now());
    expect(sent()).toEqual([]);
  });

  it('does not send an idle value that would not lower the user choice (DND, invisible)', () => {
    for (const presence of [0, 1, 2]) {
      const { client, sent, login, advance } = setup({ idleAfterMs: 1000, idlePresence: 2, presence });
      login();
      sent();
      advance(5000);
      expect(client.idle).toBe(true);
      expect(sent().filter((c) => c.op === OP_SETPRES)).toEqual([]);
    }
  });

  it('logs in with the idle value while idle, and restores on activity', () => {
    const { client, sent, login, advance, clock } = setup({ idleAfterMs: 1000, keepaliveIntervalMs: 1e9 });
    login();
    advance(1000);
    client.handleClose(clock.now());
    sent();
    client.handleOpen(clock.now());
    expect(sent()).toEqual([{ op: OP_HELLO, clientVersion: 1, presence: IDLE | 2 }]);
    client.activity(clock.now());
    expect(sent()).toEqual([{ op: OP_SETPRES, presence: 3 }]);
  });
});

describe('RealtimeClient: keepalive and dead server', () => {
  it('sends OP_KEEPALIVE after keepaliveIntervalMs of quiet, and is content with any answer', () => {
    const { sent, serve, login, advance, events } = setup({ idleAfterMs: 0 });
    login();
    sent();
    advance(19_999);
    expect(sent()).toEqual([]);
    advance(1);
    expect(sent()).toEqual([{ op: OP_KEEPALIVE }]);
    advance(5000);
    serve({ op: OP_KEEPALIVE });
    advance(14_999);
    expect(sent()).toEqual([]);
    advance(1);
    expect(sent()).toEqual([{ op: OP_KEEPALIVE }]);
    expect(events().map((e) => e.type)).not.toContain('dead');
  });

  it('declares the server dead when nothing arrives within keepaliveTimeoutMs of a KEEPALIVE', () => {
    const { client, sent, login, advance, events } = setup({ idleAfterMs: 0 });
    login();
    events();
    sent();
    advance(20_000);
    expect(sent()).toEqual([{ op: OP_KEEPALIVE }]);
    advance(9_999);
    expect(client.state).toBe('logged_in');
    advance(1);
    expect(events()).toEqual([{ type: 'dead' }]);
    expect(client.pollTransmit()).toEqual({ close: { code: 1001, reason: 'server not answering' } });
    expect(client.state).toBe('closing');
  });

  it('declares the server dead when HELLO gets no answer', () => {
    const { client, events, advance, clock } = setup();
    client.handleOpen(clock.now());
    advance(10_000);
    expect(events()).toEqual([{ type: 'dead' }]);
  });

  it('keeps the server aware of it even while only receiving', () => {
    const { sent, serve, login, advance } = setup({ idleAfterMs: 0 });
    login();
    sent();
    for (let i = 0; i < 25; i++) {
      advance(1000);
      serve({ op: OP_PRES, user: h(2), presence: 1 + (i % 2) });
    }
    expect(sent()).toEqual([{ op: OP_KEEPALIVE }]);
  });
});

describe('RealtimeClient: sending RTMSG', () => {
  it('encodes the three addressing modes and joins queued commands into one message', () => {
    const { client, login, sent, clock } = setup();
    login();
    sent();
    const data = new Uint8Array([1, 2]);
    client.sendRtmsg({ room: ROOM, msgtype: 1, data }, clock.now());
    client.sendRtmsg({ room: ROOM, user: h(2), msgtype: 2, data }, clock.now());
    client.sendRtmsg({ room: ROOM, user: h(2), client: 7, msgtype: 3, data }, clock.now());
    const t = client.pollTransmit();
    expect(client.pollTransmit()).toBeUndefined();
    const d = t && 'bytes' in t ? decodeClientCommands(t.bytes) : undefined;
    expect(
      d?.ok && d.commands.map((c) => c.op === OP_RTMSG && [c.receiverUser, c.receiverClient, c.msgtype]),
    ).toEqual([
      [ZERO_HANDLE, 0, 1],
      [h(2), 0, 2],
      [h(2), 7, 3],
    ]);
  });

  it('refuses bad messages and a full queue with typed errors', () => {
    const { client, login, clock } = setup({ maxRtmsgBytes: 10, maxQueuedBytes: 40 });
    login();
    const send = (m: object) => () =>
      client.sendRtmsg({ room: ROOM, msgtype: 0, data: new Uint8Array(1), ...m }, clock.now());
    expect(send({ data: new Uint8Array(11) })).toThrowError(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(send({ client: 3 })).toThrowError(expect.objectContaining({ code: 'invalid_argument' }));
    expect(send({ room: ZERO_HANDLE })).toThrowError(expect.objectContaining({ code: 'invalid_argument' }));
    send({})();
    expect(send({})).toThrowError(expect.objectContaining({ code: 'queue_full' }));
    client.pollTransmit();
    expect(send({})).not.toThrow();
  });
});
