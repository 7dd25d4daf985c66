import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../testing/seeded-random.js';
import { WebSocketConnection } from './connection.js';
import { concat, drain, feed, frame, parseOut, pump, recorder } from './ws-test-helpers.js';

const pair = (options: { now?: number; keepAlive?: { intervalMs: number; timeoutMs: number } } = {}) => {
  const s = recorder('message', options);
  const c = recorder('message', { role: 'client', random: new SeededRandom(1), ...options });
  return { s, c };
};

describe('close handshake', () => {
  it('client-initiated: the server echoes the code and both sides report a clean close', () => {
    const { s, c } = pair();
    c.conn.close(10, 4001, 'done here');
    expect(c.conn.state).toBe('closing');
    pump(c.conn, s.conn);
    expect(s.events).toEqual(['close:4001:clean:done here']);
    expect(s.conn.state).toBe('closed');
    pump(s.conn, c.conn);
    expect(c.events).toEqual(['close:4001:clean']);
    expect(c.conn.state).toBe('closed');
  });

  it('keeps delivering messages while waiting for the peer close', () => {
    const { s, c } = pair();
    s.conn.close(0);
    c.conn.send('in flight');
    pump(c.conn, s.conn);
    expect(s.events).toEqual(['text:"in flight"']);
    pump(s.conn, c.conn);
    pump(c.conn, s.conn);
    expect(s.events).toEqual(['text:"in flight"', 'close:1000:clean']);
  });

  it('gives up on a peer that never answers the close, after the close timeout', () => {
    const s = recorder('message', { closeTimeoutMs: 1000 });
    s.conn.close(5000, 1001);
    expect(s.conn.pollTimeout()).toBe(6000);
    s.conn.handleTimeout(5999);
    expect(s.conn.state).toBe('closing');
    s.conn.handleTimeout(6000);
    expect(s.events).toEqual(['close:1006:dirty']);
    expect(s.conn.pollTimeout()).toBeUndefined();
  });

  it('reports 1006 when the transport drops without a close frame, once', () => {
    const s = recorder('message');
    s.conn.transportClosed();
    s.conn.transportClosed();
    expect(s.events).toEqual(['close:1006:dirty']);
  });

  it('after a protocol error sends the close frame and ignores the rest of the input', () => {
    const s = recorder('message');
    feed(s.conn, concat(frame({ opcode: 3 }), frame({ opcode: 1, payload: 'never' })), 100);
    expect(s.events).toEqual(['error:1002', 'close:1002:dirty']);
    expect(parseOut(drain(s.conn))).toEqual(['close:1002']);
  });

  it('client role rejects masked frames from the server with 1002', () => {
    const c = recorder('message', { role: 'client', random: new SeededRandom(2) });
    feed(c.conn, frame({ opcode: 1, payload: 'masked' }), 3);
    expect(c.events).toEqual(['error:1002', 'close:1002:dirty']);
    const out = drain(c.conn);
    expect(out[1]! & 0x80).toBe(0x80); // its own close frame is masked
    expect(parseOut(out)).toEqual(['close:1002']);
  });
});

describe('keep-alive', () => {
  it('pings a silent peer after the interval and fails it after the timeout', () => {
    const s = recorder('message', { now: 1000, keepAlive: { intervalMs: 30_000, timeoutMs: 10_000 } });
    expect(s.conn.pollTimeout()).toBe(31_000);
    s.conn.handleTimeout(30_999);
    expect(drain(s.conn).length).toBe(0);
    s.conn.handleTimeout(31_000);
    expect(parseOut(drain(s.conn))).toEqual(['ping:']);
    expect(s.conn.pollTimeout()).toBe(41_000);
    s.conn.handleTimeout(41_000);
    expect(s.events).toEqual(['close:1006:dirty']);
    expect(s.conn.state).toBe('closed');
  });

  it('any received byte proves the peer alive and restarts the interval', () => {
    const s = recorder('message', { now: 0, keepAlive: { intervalMs: 100, timeoutMs: 50 } });
    s.conn.handleTimeout(100);
    expect(parseOut(drain(s.conn))).toEqual(['ping:']);
    s.conn.receive(120, frame({ opcode: 10 }));
    expect(s.conn.pollTimeout()).toBe(220);
    s.conn.handleTimeout(170);
    expect(s.conn.state).toBe('open');
  });

  it('is driven to completion by a peer that auto-pongs', () => {
    const { s, c } = pair({ now: 0, keepAlive: { intervalMs: 100, timeoutMs: 50 } });
    for (let t = 0; t <= 1000; t += 10) {
      s.conn.handleTimeout(t);
      c.conn.handleTimeout(t);
      pump(s.conn, c.conn, t);
      pump(c.conn, s.conn, t);
    }
    expect(s.conn.state).toBe('open');
    expect(c.conn.state).toBe('open');
    expect(s.events.filter((e) => e.startsWith('pong')).length).toBeGreaterThan(3);
  });
});

describe('receive levels', () => {
  it('level 3 streams frame data as it arrives, with nothing buffered', () => {
    const chunks: number[] = [];
    const conn = new WebSocketConnection({
      role: 'server',
      handlers: {
        onFrameBegin: () => chunks.push(-1),
        onFrameData: (c) => chunks.push(c.length),
        onFrameEnd: () => chunks.push(-2),
      },
    });
    feed(conn, frame({ opcode: 2, payload: new Uint8Array(1000) }), 300);
    // 300-byte pieces minus the 8-byte header: data arrives in the same pieces.
    expect(chunks).toEqual([-1, 292, 300, 300, 108, -2]);
  });

  it('level 2 handlers replace onMessage unless they call the defaults', () => {
    const seen: string[] = [];
    const make = (callDefaults: boolean) => {
      const conn: WebSocketConnection = new WebSocketConnection({
        role: 'server',
        handlers: {
          onMessage: (d) => seen.push(`message:${d.length}`),
          onMessageBegin: (b) => (callDefaults ? conn.assemble.messageBegin(b) : undefined),
          onMessageFrame: (p) => {
            seen.push(`frame:${p.length}`);
            if (callDefaults) conn.assemble.messageFrame(p);
          },
          onMessageEnd: () => (callDefaults ? conn.assemble.messageEnd() : undefined),
        },
      });
      return conn;
    };
    const stream = concat(
      frame({ opcode: 2, payload: new Uint8Array(3), fin: false }),
      frame({ opcode: 0, payload: new Uint8Array(4) }),
    );
    feed(make(false), stream, 5);
    expect(seen).toEqual(['frame:3', 'frame:4']);
    seen.length = 0;
    feed(make(true), stream, 5);
    expect(seen).toEqual(['frame:3', 'frame:4', 'message:7']);
  });

  it('level 3 handlers can hand frames on to the default assembly', () => {
    const got: string[] = [];
    const conn: WebSocketConnection = new WebSocketConnection({
      role: 'server',
      handlers: {
        onMessage: (d, binary) => got.push(`${binary}:${new TextDecoder().decode(d)}`),
        onFrameBegin: (f) => conn.assemble.frameBegin(f),
        onFrameData: (c) => conn.assemble.frameData(c),
        onFrameEnd: (f) => conn.assemble.frameEnd(f),
      },
    });
    feed(
      conn,
      concat(
        frame({ opcode: 1, payload: 'ab', fin: false }),
        frame({ opcode: 9 }),
        frame({ opcode: 0, payload: 'cd' }),
      ),
      1,
    );
    expect(got).toEqual(['false:abcd']);
  });

  it('handlers of a level must be set together', () => {
    expect(() => new WebSocketConnection({ role: 'server', handlers: { onFrameBegin: () => {} } })).toThrow(
      /together/,
    );
    expect(() => new WebSocketConnection({ role: 'server', handlers: { onMessageEnd: () => {} } })).toThrow(
      /together/,
    );
  });

  it('the client role needs a Random', () => {
    expect(() => new WebSocketConnection({ role: 'client' })).toThrow(/Random/);
  });
});

describe('encode and decode between the two roles', () => {
  it('round-trips every send mode from client to server and back', () => {
    const { s, c } = pair();
    c.conn.send('hello');
    c.conn.messageBegin(true);
    c.conn.frameSend(new Uint8Array([1, 2]));
    c.conn.ping('mid');
    c.conn.frameDataBegin(3, true);
    c.conn.frameDataSend(new Uint8Array([3]));
    c.conn.frameDataSend(new Uint8Array([4, 5]));
    pump(c.conn, s.conn);
    expect(s.events).toEqual(['text:"hello"', 'ping:6d6964', 'binary:0102030405']);
    pump(s.conn, c.conn);
    expect(c.events).toEqual(['pong:6d6964']);
    s.conn.send(new Uint8Array(70_000).fill(7));
    pump(s.conn, c.conn);
    expect(c.events[1]).toMatch(/^binary:len=70000:/);
  });
});
