// Property tests (fast-check): chop boundaries never change what is decoded, every send mode
// round-trips through the decoder of the other role, and the UTF-8 validator and the mask agree
// with simple reference implementations for any split.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../testing/seeded-random.js';
import { WebSocketConnection } from './connection.js';
import { applyWsMask, packWsMaskKey } from './mask.js';
import { Utf8Validator } from './utf8-validator.js';
import { concat, frame, join, parseOut, recorder, toHex } from './ws-test-helpers.js';

/** Splits `stream` at the given cut points (each taken modulo the length). */
function cut(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => (stream.length === 0 ? 0 : c % stream.length)))].sort(
    (a, b) => a - b,
  );
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(stream.slice(prev, p));
    prev = p;
  }
  out.push(stream.slice(prev));
  return out;
}

// Frames a peer might send: mostly valid, with some invalid ones mixed in.
const arbFrame = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      opcode: fc.constantFrom(1, 2),
      payload: fc.uint8Array({ maxLength: 300 }),
      fin: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      opcode: fc.constant(0),
      payload: fc.uint8Array({ maxLength: 200 }),
      fin: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      opcode: fc.constantFrom(9, 10),
      payload: fc.uint8Array({ maxLength: 125 }),
      fin: fc.constant(true),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      opcode: fc.constantFrom(1, 2, 3, 8, 9, 11),
      payload: fc.uint8Array({ maxLength: 130 }),
      fin: fc.boolean(),
      rsv: fc.integer({ min: 0, max: 7 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      opcode: fc.constant(1),
      payload: fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => new TextEncoder().encode(s)),
      fin: fc.constant(true),
    }),
  },
);

describe('properties', () => {
  it('random chop boundaries give identical events and replies at every receive level', () => {
    fc.assert(
      fc.property(
        fc.array(arbFrame, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.constantFrom('message', 'message-frames', 'frames' as const),
        (frames, cuts, level) => {
          const stream = concat(...frames.map((f) => frame(f)));
          const whole = recorder(level);
          whole.conn.receive(0, stream.slice());
          const chopped = recorder(level);
          for (const piece of cut(stream, cuts)) chopped.conn.receive(0, piece);
          expect(chopped.events).toEqual(whole.events);
          const out = (c: WebSocketConnection) => {
            const parts: Uint8Array[] = [];
            for (let p = c.pollTransmit(); p; p = c.pollTransmit()) parts.push(p);
            return parseOut(join(parts));
          };
          expect(out(chopped.conn)).toEqual(out(whole.conn));
        },
      ),
      { numRuns: 400 },
    );
  });

  // A message to send, and how: whole, as many frames, or as streamed frames in chunks.
  const arbMessage = fc.record({
    binary: fc.boolean(),
    text: fc.string({ unit: 'binary', maxLength: 200 }),
    data: fc.uint8Array({ maxLength: 9000 }),
    mode: fc.constantFrom('whole', 'frames', 'stream'),
    splits: fc.array(fc.nat(), { maxLength: 6 }),
    chunks: fc.array(fc.nat(), { maxLength: 6 }),
    pingBetween: fc.boolean(),
  });

  it.each(['client', 'server'] as const)(
    'encode then decode is the identity for every send mode (%s sends)',
    (role) => {
      fc.assert(
        fc.property(
          fc.array(arbMessage, { minLength: 1, maxLength: 6 }),
          fc.nat(),
          fc.array(fc.nat(), { maxLength: 20 }),
          (messages, seed, cuts) => {
            const sender = new WebSocketConnection({ role, random: new SeededRandom(seed) });
            const got: string[] = [];
            const receiver = new WebSocketConnection({
              role: role === 'client' ? 'server' : 'client',
              random: new SeededRandom(1),
              handlers: {
                onMessage: (d, binary) => got.push(`${binary ? 'binary' : 'text'}:${toHex(d)}`),
                onPing: (p) => got.push(`ping:${toHex(p)}`),
                onError: (e) => got.push(`error:${e.code}`),
              },
            });
            const want: string[] = [];
            for (const m of messages) {
              const payload = m.binary ? m.data : new TextEncoder().encode(m.text);
              const pieces = cut(payload, m.splits);
              if (m.mode === 'whole') sender.send(payload, m.binary);
              else {
                sender.messageBegin(m.binary);
                pieces.forEach((piece, i) => {
                  const last = i === pieces.length - 1;
                  if (m.mode === 'frames') {
                    if (last) sender.messageEnd(piece);
                    else sender.frameSend(piece);
                  } else {
                    sender.frameDataBegin(piece.length, last);
                    for (const c of cut(piece, m.chunks)) if (c.length > 0) sender.frameDataSend(c);
                  }
                  if (m.pingBetween && !last) {
                    sender.ping('between');
                    want.push(`ping:${toHex(new TextEncoder().encode('between'))}`);
                  }
                });
              }
              want.push(`${m.binary ? 'binary' : 'text'}:${toHex(payload)}`);
            }
            const parts: Uint8Array[] = [];
            for (let p = sender.pollTransmit(); p; p = sender.pollTransmit()) parts.push(p);
            for (const piece of cut(join(parts), cuts)) receiver.receive(0, piece);
            expect(got).toEqual(want);
          },
        ),
        { numRuns: 150 },
      );
    },
  );

  it('every send mode delivers the exact bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 5000 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.nat(),
        (data, splits, chunks, seed) => {
          const got: Uint8Array[] = [];
          for (const mode of ['whole', 'frames', 'stream']) {
            const c = new WebSocketConnection({ role: 'client', random: new SeededRandom(seed) });
            const s = new WebSocketConnection({
              role: 'server',
              handlers: { onMessage: (d) => got.push(d.slice()) },
            });
            const pieces = cut(data, splits);
            if (mode === 'whole') c.send(data);
            else {
              c.messageBegin(true);
              pieces.forEach((p, i) => {
                const last = i === pieces.length - 1;
                if (mode === 'frames') last ? c.messageEnd(p) : c.frameSend(p);
                else {
                  c.frameDataBegin(p.length, last);
                  for (const piece of cut(p, chunks)) if (piece.length > 0) c.frameDataSend(piece);
                }
              });
            }
            for (let p = c.pollTransmit(); p; p = c.pollTransmit()) s.receive(0, p);
          }
          expect(got.length).toBe(3);
          for (const g of got) expect(Buffer.from(g).equals(Buffer.from(data))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the UTF-8 validator agrees with the WHATWG decoder for any bytes and any split', () => {
    const arbBytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 20 }).map((s) => new TextEncoder().encode(s)),
      fc
        .array(
          fc.constantFrom(0x41, 0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0x90, 0xa0, 0x9f, 0x8f, 0xf5, 0xc0),
          { maxLength: 12 },
        )
        .map((a) => new Uint8Array(a)),
    );
    fc.assert(
      fc.property(arbBytes, fc.array(fc.nat(), { maxLength: 5 }), (b, cuts) => {
        let valid = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(b);
        } catch {
          valid = false;
        }
        const v = new Utf8Validator();
        let ok = true;
        for (const piece of cut(b, cuts)) if (ok && v.write(piece) >= 0) ok = false;
        expect(ok && v.complete).toBe(valid);
      }),
      { numRuns: 3000 },
    );
  });

  it('the UTF-8 validator agrees with the WHATWG decoder on long ASCII runs at any alignment', () => {
    const enc = (cp: number) => Array.from(new TextEncoder().encode(String.fromCodePoint(cp)));
    const arbLong = fc
      .array(
        fc.oneof(
          { weight: 40, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((b) => [b]) },
          {
            weight: 2,
            arbitrary: fc
              .integer({ min: 0x80, max: 0x10ffff })
              .filter((c) => c < 0xd800 || c > 0xdfff)
              .map(enc),
          },
          { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((b) => [b]) },
        ),
        { minLength: 60, maxLength: 700 },
      )
      .map((parts) => parts.flat());
    fc.assert(
      fc.property(arbLong, fc.nat(7), fc.array(fc.nat(), { maxLength: 4 }), (arr, shift, cuts) => {
        const backing = new Uint8Array(arr.length + 8);
        const b = backing.subarray(shift, shift + arr.length);
        b.set(arr);
        let valid = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(b);
        } catch {
          valid = false;
        }
        const v = new Utf8Validator();
        let ok = true;
        let pos = 0;
        for (const piece of cut(b, cuts)) {
          if (ok && v.write(b, pos, pos + piece.length) >= 0) ok = false;
          pos += piece.length;
        }
        expect(ok && v.complete).toBe(valid);
      }),
      { numRuns: 3000 },
    );
  });

  it('the word-wise mask equals the byte-wise definition for any offset, alignment and split', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 600 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.nat(7),
        fc.array(fc.nat(), { maxLength: 4 }),
        (data, key, shift, cuts) => {
          const want = data.map((x, i) => x ^ (key[i % 4] as number));
          // Place the data at an arbitrary byte offset, so words are misaligned in every way.
          const backing = new Uint8Array(data.length + 8);
          const buf = backing.subarray(shift, shift + data.length);
          buf.set(data);
          let pos = 0;
          let k = 0;
          for (const piece of cut(data, cuts)) {
            k = applyWsMask(
              buf,
              pos,
              pos + piece.length,
              packWsMaskKey(key[0]!, key[1]!, key[2]!, key[3]!),
              k,
            );
            pos += piece.length;
          }
          expect(Array.from(buf)).toEqual(Array.from(want));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
