// Autobahn testsuite category 6 (UTF-8 handling), after Markus Kuhn's UTF-8 stress test. Every
// vector is also checked against the WHATWG decoder (Node's TextDecoder, fatal) as an oracle, for
// validity and for the exact byte at which a streaming decoder must fail.
import { describe, expect, it } from 'vitest';
import { checkCase, concat, feed, frame, hex, recorder, type WsCase } from './ws-test-helpers.js';

const KOSME = 'cebae1bdb9cf83cebcceb5';
const vectors: [id: string, hexBytes: string][] = [
  ['6.5.1', KOSME],
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((n, i): [string, string] => [
    `6.6.${i + 1}`,
    KOSME.slice(0, 2 * n),
  ]),
  ['6.7.1', '00'],
  ['6.7.2', 'c280'],
  ['6.7.3', 'e0a080'],
  ['6.7.4', 'f0908080'],
  ['6.8.1', 'f888808080'],
  ['6.8.2', 'fc8480808080'],
  ['6.9.1', '7f'],
  ['6.9.2', 'dfbf'],
  ['6.9.3', 'efbfbf'],
  ['6.9.4', 'f48fbfbf'],
  ['6.10.1', 'f7bfbfbf'],
  ['6.10.2', 'fbbfbfbfbf'],
  ['6.10.3', 'fdbfbfbfbfbf'],
  ['6.11.1', 'ed9fbf'],
  ['6.11.2', 'ee8080'],
  ['6.11.3', 'efbfbd'],
  ['6.11.4', 'f48fbfbf'],
  ['6.11.5', 'f4908080'],
  ['6.12.1', '80'],
  ['6.12.2', 'bf'],
  ['6.12.3', '80bf'],
  ['6.12.4', '80bf80'],
  ['6.12.5', '80bf80bf'],
  ['6.12.6', '80bf80bf80'],
  ['6.12.7', '80bf80bf80bf'],
  ['6.12.8', Array.from({ length: 64 }, (_, i) => (0x80 + i).toString(16)).join('')],
  ['6.13.1', Array.from({ length: 32 }, (_, i) => `${(0xc0 + i).toString(16)}20`).join('')],
  ['6.13.2', Array.from({ length: 16 }, (_, i) => `${(0xe0 + i).toString(16)}20`).join('')],
  ['6.13.3', Array.from({ length: 8 }, (_, i) => `${(0xf0 + i).toString(16)}20`).join('')],
  ['6.13.4', 'f820f920fa20fb20'],
  ['6.13.5', 'fc20fd20'],
  ...['c0', 'e080', 'f08080', 'f8808080', 'fc80808080', 'df', 'efbf', 'f7bfbf', 'fbbfbfbf', 'fdbfbfbfbf'].map(
    (h, i): [string, string] => [`6.14.${i + 1}`, h],
  ),
  ['6.15.1', 'c0e080f08080f8808080fc80808080dfefbff7bfbffbbfbfbffdbfbfbfbf'],
  ['6.16.1', 'fe'],
  ['6.16.2', 'ff'],
  ['6.16.3', 'fefeffff'],
  ['6.17.1', 'c0af'],
  ['6.17.2', 'e080af'],
  ['6.17.3', 'f08080af'],
  ['6.17.4', 'f8808080af'],
  ['6.17.5', 'fc80808080af'],
  ['6.18.1', 'c1bf'],
  ['6.18.2', 'e09fbf'],
  ['6.18.3', 'f08fbfbf'],
  ['6.18.4', 'f887bfbfbf'],
  ['6.18.5', 'fc83bfbfbfbf'],
  ['6.19.1', 'c080'],
  ['6.19.2', 'e08080'],
  ['6.19.3', 'f0808080'],
  ['6.19.4', 'f880808080'],
  ['6.19.5', 'fc8080808080'],
  ...['eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf'].map((h, i): [string, string] => [
    `6.20.${i + 1}`,
    h,
  ]),
  ...[
    'eda080edb080',
    'eda080edbfbf',
    'edadbfedb080',
    'edadbfedbfbf',
    'edae80edb080',
    'edae80edbfbf',
    'edafbfedb080',
    'edafbfedbfbf',
  ].map((h, i): [string, string] => [`6.21.${i + 1}`, h]),
  ...['efbfbe', 'efbfbf', 'f09fbfbe', 'f09fbfbf', 'f0afbfbe', 'f48fbfbe', 'efb790', 'efb7af'].map(
    (h, i): [string, string] => [`6.22.${i + 1}`, h],
  ),
  ['6.23.1', 'efbfbd'],
  ['6.23.2', `${KOSME}efbfbd${KOSME}`],
];

/** Where the WHATWG decoder fails, byte by byte: an index, `end` (incomplete), or -1 (valid). */
function oracle(b: Uint8Array): number | 'end' {
  const d = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < b.length; i++) {
    try {
      d.decode(b.subarray(i, i + 1), { stream: true });
    } catch {
      return i;
    }
  }
  try {
    d.decode();
  } catch {
    return 'end';
  }
  return -1;
}

const failed = ['error:1007', 'close:1007:dirty'];
const cases: WsCase[] = [];
const add = (id: string, title: string, frames: Uint8Array[], valid: boolean, text: string) =>
  cases.push({
    id,
    title,
    stream: concat(...frames),
    events: valid ? [`text:${JSON.stringify(text)}`] : [...failed],
    out: valid ? [] : ['close:1007'],
  });

add('6.1.1', 'empty text message', [frame({ opcode: 1 })], true, '');
add(
  '6.1.2',
  'three empty fragments',
  [frame({ opcode: 1, fin: false }), frame({ opcode: 0, fin: false }), frame({ opcode: 0 })],
  true,
  '',
);
add(
  '6.1.3',
  'empty, non-empty, empty fragments',
  [
    frame({ opcode: 1, fin: false }),
    frame({ opcode: 0, fin: false, payload: 'middle frame payload' }),
    frame({ opcode: 0 }),
  ],
  true,
  'middle frame payload',
);
const hello = new TextEncoder().encode('Hello-µ@ßöäüàá-UTF-8!!');
add(
  '6.2.1',
  'valid UTF-8 in one frame',
  [frame({ opcode: 1, payload: hello })],
  true,
  'Hello-µ@ßöäüàá-UTF-8!!',
);
add(
  '6.2.2',
  'valid UTF-8 in two fragments, split at a character',
  [
    frame({ opcode: 1, payload: hello.slice(0, 7), fin: false }),
    frame({ opcode: 0, payload: hello.slice(7) }),
  ],
  true,
  'Hello-µ@ßöäüàá-UTF-8!!',
);
const oneByteFrames = (b: Uint8Array) =>
  Array.from(b, (x, i) =>
    frame({ opcode: i === 0 ? 1 : 0, payload: new Uint8Array([x]), fin: i === b.length - 1 }),
  );
add('6.2.3', 'valid UTF-8 in 1-byte fragments', oneByteFrames(hello), true, 'Hello-µ@ßöäüàá-UTF-8!!');
add(
  '6.2.4',
  'κόσμε in 1-byte fragments',
  oneByteFrames(hex(KOSME)),
  true,
  new TextDecoder().decode(hex(KOSME)),
);
const edited = hex(`${KOSME}eda080656469746564`);
add('6.3.1', 'surrogate inside a message', [frame({ opcode: 1, payload: edited })], false, '');
add('6.3.2', 'surrogate inside a message, 1-byte fragments', oneByteFrames(edited), false, '');
add(
  '6.4.1',
  'invalid second fragment',
  [
    frame({ opcode: 1, payload: hex(KOSME), fin: false }),
    frame({ opcode: 0, payload: hex('f4908080'), fin: false }),
    frame({ opcode: 0, payload: 'edited' }),
  ],
  false,
  '',
);
add(
  '6.4.2',
  'invalid sequence split across fragments',
  [
    frame({ opcode: 1, payload: hex(`${KOSME}f4`), fin: false }),
    frame({ opcode: 0, payload: hex('90'), fin: false }),
    frame({ opcode: 0, payload: hex('8080656469746564') }),
  ],
  false,
  '',
);
add(
  '6.4.5',
  'valid text, then a message ending inside a sequence',
  [frame({ opcode: 1, payload: 'ok' }), frame({ opcode: 1, payload: hex('e282') })],
  false,
  '',
);
cases.at(-1)?.events.unshift('text:"ok"');
for (const [id, h] of vectors) {
  const b = hex(h);
  const valid = oracle(b) === -1;
  add(
    id,
    `${h.length > 24 ? `${h.slice(0, 24)}…` : h} (${valid ? 'valid' : 'invalid'})`,
    [frame({ opcode: 1, payload: b })],
    valid,
    valid ? new TextDecoder().decode(b) : '',
  );
}

describe('Autobahn-style case 6 (UTF-8) at every chop size and receive level', () => {
  it('has a vector list the oracle agrees is a mix of valid and invalid', () => {
    const verdicts = vectors.map(([, h]) => oracle(hex(h)) === -1);
    expect(verdicts.filter(Boolean).length).toBeGreaterThan(20);
    expect(verdicts.filter((v) => !v).length).toBeGreaterThan(60);
  });

  it.each(cases.map((c) => [`${c.id} ${c.title}`, c] as const))(
    '%s',
    (_name, c) => {
      expect(checkCase(c)).toBeUndefined();
    },
    60_000,
  );
});

describe('fail-fast UTF-8: 1007 exactly when the first bad byte arrives', () => {
  const invalid = vectors.filter(([, h]) => oracle(hex(h)) !== -1);
  it.each(invalid)('%s %s', (_id, h) => {
    const b = hex(h);
    const at = oracle(b);
    // Split the payload into fragments of 3 bytes so the bad byte may sit in a later fragment.
    const frames = [];
    for (let i = 0; i < b.length; i += 3) {
      frames.push(frame({ opcode: i === 0 ? 1 : 0, payload: b.slice(i, i + 3), fin: i + 3 >= b.length }));
    }
    const stream = concat(...frames);
    // Offsets in the stream of each payload byte (frames here have 6-byte headers).
    const offsets: number[] = [];
    let p = 0;
    for (const f of frames) {
      for (let i = 6; i < f.length; i++) offsets.push(p + i);
      p += f.length;
    }
    const r = recorder('frames');
    let failedAt = -1;
    for (let i = 0; i < stream.length && failedAt < 0; i++) {
      feed(r.conn, stream.slice(i, i + 1), 1);
      if (r.events.includes('error:1007')) failedAt = i;
    }
    const expected = at === 'end' ? stream.length - 1 : (offsets[at] as number);
    expect(failedAt).toBe(expected);
  });
});
