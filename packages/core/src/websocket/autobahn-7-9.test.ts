// Autobahn testsuite categories 7 (close handling) and 9 (limits), against the server-role codec,
// at every chop size and receive level.
import { describe, expect, it } from 'vitest';
import { checkCase, concat, feed, fnv, frame, recorder, type WsCase } from './ws-test-helpers.js';

const closeFrame = (code?: number, reason: Uint8Array | string = '') => {
  if (code === undefined) return frame({ opcode: 8 });
  const r = typeof reason === 'string' ? new TextEncoder().encode(reason) : reason;
  return frame({ opcode: 8, payload: concat(new Uint8Array([code >> 8, code & 0xff]), r) });
};
const failed = (code: number) => [`error:${code}`, `close:${code}:dirty`];

const cases: WsCase[] = [];
const add = (
  id: string,
  title: string,
  frames: Uint8Array[],
  events: string[],
  out: string[],
  options?: WsCase['options'],
) => cases.push({ id, title, stream: concat(...frames), events, out, ...(options ? { options } : {}) });

// 7: close handling.
add(
  '7.1.1',
  'text, then close',
  [frame({ opcode: 1, payload: 'Hello World!' }), closeFrame(1000)],
  ['text:"Hello World!"', 'close:1000:clean'],
  ['close:1000'],
);
add('7.1.2', 'close twice', [closeFrame(1000), closeFrame(1000)], ['close:1000:clean'], ['close:1000']);
add(
  '7.1.3',
  'close, then ping',
  [closeFrame(1000), frame({ opcode: 9, payload: 'Hello World!' })],
  ['close:1000:clean'],
  ['close:1000'],
);
add(
  '7.1.4',
  'close, then text',
  [closeFrame(1000), frame({ opcode: 1, payload: 'Hello World!' })],
  ['close:1000:clean'],
  ['close:1000'],
);
add(
  '7.1.5',
  'first fragment, close, last fragment',
  [
    frame({ opcode: 1, payload: 'fragment1', fin: false }),
    closeFrame(1000),
    frame({ opcode: 0, payload: 'fragment2' }),
  ],
  ['close:1000:clean'],
  ['close:1000'],
);
add(
  '7.1.6',
  'large text, ping, close',
  [
    frame({ opcode: 1, payload: 'BAsd7&jh23'.repeat(26_215) }),
    frame({ opcode: 9, payload: 'Hello World!' }),
    closeFrame(1000),
  ],
  [
    `text:len=262150:h=${fnv(new TextEncoder().encode('BAsd7&jh23'.repeat(26_215)))}`,
    'ping:48656c6c6f20576f726c6421',
    'close:1000:clean',
  ],
  ['pong:48656c6c6f20576f726c6421', 'close:1000'],
);
add('7.3.1', 'close without payload', [closeFrame()], ['close:1005:clean'], ['close']);
add(
  '7.3.2',
  'close with a 1-byte payload',
  [frame({ opcode: 8, payload: new Uint8Array([0x03]) })],
  failed(1002),
  ['close:1002'],
);
add('7.3.3', 'close with a code', [closeFrame(1000)], ['close:1000:clean'], ['close:1000']);
add(
  '7.3.4',
  'close with a code and reason',
  [closeFrame(1000, 'Hello World!')],
  ['close:1000:clean:Hello World!'],
  ['close:1000'],
);
add(
  '7.3.5',
  'close with a 123-byte reason',
  [closeFrame(1000, '*'.repeat(123))],
  [`close:1000:clean:${'*'.repeat(123)}`],
  ['close:1000'],
);
add('7.3.6', 'close with a 124-byte reason', [closeFrame(1000, '*'.repeat(124))], failed(1002), [
  'close:1002',
]);
add(
  '7.5.1',
  'close with invalid UTF-8 in the reason',
  [
    closeFrame(
      1000,
      new Uint8Array([
        0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, 0x65, 0x64, 0x69,
        0x74, 0x65, 0x64,
      ]),
    ),
  ],
  failed(1007),
  ['close:1007'],
);
add(
  '7.5.2',
  'close reason ending inside a UTF-8 sequence',
  [closeFrame(1000, new Uint8Array([0x61, 0xe2, 0x82]))],
  failed(1007),
  ['close:1007'],
);
[1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999].forEach(
  (code, i) => {
    add(
      `7.7.${i + 1}`,
      `valid close code ${code}`,
      [closeFrame(code)],
      [`close:${code}:clean`],
      [`close:${code}`],
    );
  },
);
[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999].forEach((code, i) => {
  add(`7.9.${i + 1}`, `invalid close code ${code}`, [closeFrame(code)], failed(1002), ['close:1002']);
});
add('7.13.1', 'close code 5000', [closeFrame(5000)], failed(1002), ['close:1002']);
add('7.13.2', 'close code 65535', [closeFrame(65535)], failed(1002), ['close:1002']);

// 9: limits (small ones, so every chop size stays cheap): 64-byte frames, 100-byte messages, 4 frames.
const limits = { limits: { maxFrame: 64, maxMessage: 100, maxFragments: 4 } };
const b = (n: number) => new Uint8Array(n).fill(0xab);
const f = (opcode: number, n: number, fin = true) => frame({ opcode, payload: b(n), fin });
add('9.1.1', 'frame at the frame limit', [f(2, 64)], [`binary:${'ab'.repeat(64)}`], [], limits);
add('9.1.2', 'frame one byte over the frame limit', [f(2, 65)], failed(1009), ['close:1009'], limits);
add('9.1.3', 'frame far over the limit, 16-bit length', [f(2, 1000)], failed(1009), ['close:1009'], limits);
add(
  '9.1.4',
  '64-bit length beyond 2^53',
  [frame({ opcode: 2, length: 1n << 60n, lengthBits: 64 })],
  failed(1009),
  ['close:1009'],
  limits,
);
add(
  '9.2.1',
  'message at the message limit in two frames',
  [f(2, 50, false), f(0, 50)],
  [`binary:len=100:h=${fnv(b(100))}`],
  [],
  limits,
);
add(
  '9.2.2',
  'message one byte over the limit in two frames',
  [f(2, 50, false), f(0, 51)],
  failed(1009),
  ['close:1009'],
  limits,
);
add(
  '9.3.1',
  'message in four frames',
  [
    frame({ opcode: 1, payload: 'a', fin: false }),
    frame({ opcode: 0, payload: 'b', fin: false }),
    frame({ opcode: 0, payload: 'c', fin: false }),
    frame({ opcode: 0, payload: 'd' }),
  ],
  ['text:"abcd"'],
  [],
  limits,
);
add(
  '9.3.2',
  'message in five frames',
  [
    frame({ opcode: 1, payload: 'a', fin: false }),
    frame({ opcode: 0, fin: false }),
    frame({ opcode: 0, fin: false }),
    frame({ opcode: 0, fin: false }),
    frame({ opcode: 0, payload: 'e' }),
  ],
  failed(1009),
  ['close:1009'],
  limits,
);
add(
  '9.4.1',
  'pings of 125 bytes are not frame-limited',
  [frame({ opcode: 9, payload: b(125) })],
  [`ping:${'ab'.repeat(125)}`],
  [`pong:${'ab'.repeat(125)}`],
  limits,
);
add(
  '9.5.1',
  'limits reset between messages',
  [f(2, 60, false), f(0, 40), f(2, 64, false), f(0, 36)],
  [`binary:len=100:h=${fnv(b(100))}`, `binary:len=100:h=${fnv(b(100))}`],
  [],
  limits,
);

describe('Autobahn-style cases 7 and 9 at every chop size and receive level', () => {
  it.each(cases.map((c) => [`${c.id} ${c.title}`, c] as const))(
    '%s',
    (_name, c) => {
      expect(checkCase(c)).toBeUndefined();
    },
    60_000,
  );
});

describe('limits are decided from the header, before any payload is buffered', () => {
  // Frames here are masked: a 2-byte base header and a 4-byte key before the payload.
  it.each([
    ['frame', f(2, 65), 6, 0],
    ['message', concat(f(2, 50, false), f(0, 51)), 56 + 6, 1],
    ['fragments', concat(...[0, 1, 2, 3].map((i) => f(i === 0 ? 2 : 0, 1, false)), f(0, 1)), 4 * 7 + 6, 4],
  ] as const)(
    '%s limit: 1009 as soon as the header is complete',
    (_what, stream, headerEnd, framesBefore) => {
      const r = recorder('frames', limits);
      feed(r.conn, stream.slice(0, headerEnd - 1), 1);
      expect(r.events).toEqual([]);
      feed(r.conn, stream.slice(headerEnd - 1, headerEnd), 1);
      expect(r.events).toEqual(failed(1009));
      // The offending frame was never begun, so none of its payload reached any handler.
      expect(r.raw.filter((e) => e.startsWith('fbegin')).length).toBe(framesBefore);
    },
  );
});
