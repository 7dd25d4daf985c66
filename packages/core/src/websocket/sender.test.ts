import { describe, expect, it } from 'vitest';
import { isParleyError } from '../errors.js';
import { SeededRandom } from '../testing/seeded-random.js';
import { drain, parseOut, recorder, toHex } from './ws-test-helpers.js';

const server = () => recorder('message').conn;
const client = () => recorder('message', { role: 'client', random: new SeededRandom(7) }).conn;
const enc = (s: string) => new TextEncoder().encode(s);

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isParleyError(e) ? e.code : `not a ParleyError: ${String(e)}`;
  }
  return undefined;
}

describe('sending: the three modes', () => {
  it('sends a whole message as one frame, text for strings and binary for bytes', () => {
    const c = server();
    c.send('hi');
    c.send(new Uint8Array([1, 2]));
    c.send(enc('as text'), false);
    expect(parseOut(drain(c))).toEqual(['text:"hi"', 'binary:0102', 'text:"as text"']);
  });

  it('sends a message of many frames: first frame text/binary, then continuations, final frame FIN', () => {
    const c = server();
    c.messageBegin(false);
    c.frameSend('one ');
    c.frameSend('two ');
    c.messageEnd('three');
    expect(parseOut(drain(c))).toEqual([
      'text:more:"one "',
      `cont:more:${toHex(enc('two '))}`,
      `cont:${toHex(enc('three'))}`,
    ]);
  });

  it('lets control frames go out between the frames of a message', () => {
    const c = server();
    c.messageBegin(true);
    c.frameSend(new Uint8Array([1]));
    c.ping('p');
    c.frameSend(new Uint8Array([2]));
    c.pong('q');
    c.messageEnd();
    expect(parseOut(drain(c))).toEqual(['binary:more:01', 'ping:70', 'cont:more:02', 'pong:71', 'cont:']);
  });

  it('streams one huge frame in chunks after declaring its length', () => {
    const c = server();
    c.messageBegin(true);
    c.frameDataBegin(70_000, true);
    const data = new Uint8Array(70_000).map((_, i) => i & 0xff);
    for (let i = 0; i < data.length; i += 9_999) c.frameDataSend(data.subarray(i, i + 9_999));
    const out = drain(c);
    expect(Array.from(out.subarray(0, 10))).toEqual([0x82, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]);
    expect(toHex(out.subarray(10))).toBe(toHex(data));
    // The final frame ended the message: a new one may start.
    expect(c.send('next')).toBe(true);
  });

  it('holds control frames asked for inside a streamed frame until the frame is complete', () => {
    const c = server();
    c.messageBegin(false);
    c.frameDataBegin(6);
    c.frameDataSend(enc('abc'));
    c.ping('1');
    c.pong('a');
    c.pong('b'); // replaces the deferred pong 'a'
    c.frameDataSend(enc('def'));
    c.messageEnd();
    expect(parseOut(drain(c))).toEqual(['text:more:"abcdef"', 'ping:31', 'pong:62', 'cont:']);
  });

  it('masks every client frame with a fresh key and carries the key position across chunks', () => {
    const c = client();
    c.messageBegin(true);
    c.frameDataBegin(7, true);
    c.frameDataSend(new Uint8Array([1, 2, 3]));
    c.frameDataSend(new Uint8Array([4, 5]));
    c.frameDataSend(new Uint8Array([6, 7]));
    c.send(new Uint8Array([9]));
    const out = drain(c);
    expect(out[1]! & 0x80).toBe(0x80);
    expect(parseOut(out)).toEqual(['binary:01020304050607', 'binary:09']);
    // Two frames, two different keys.
    expect(toHex(out.subarray(2, 6))).not.toBe(toHex(out.subarray(15, 19)));
  });
});

describe('sending: misuse is a typed error', () => {
  it('rejects more bytes than declared, and moving on with fewer', () => {
    const c = server();
    c.messageBegin(true);
    c.frameDataBegin(3);
    expect(codeOf(() => c.frameDataSend(new Uint8Array(4)))).toBe('ws_frame_overflow');
    c.frameDataSend(new Uint8Array(2));
    expect(codeOf(() => c.messageEnd())).toBe('ws_frame_incomplete');
    expect(codeOf(() => c.frameSend(new Uint8Array(1)))).toBe('ws_frame_incomplete');
    expect(codeOf(() => c.send('x'))).toBe('ws_frame_incomplete');
    c.frameDataSend(new Uint8Array(1));
    c.messageEnd();
    expect(parseOut(drain(c))).toEqual(['binary:more:000000', 'cont:']);
  });

  it('rejects calls out of order', () => {
    const c = server();
    expect(codeOf(() => c.frameSend('x'))).toBe('ws_invalid_state');
    expect(codeOf(() => c.frameDataSend(new Uint8Array(1)))).toBe('ws_invalid_state');
    expect(codeOf(() => c.messageEnd())).toBe('ws_invalid_state');
    c.messageBegin(false);
    expect(codeOf(() => c.messageBegin(false))).toBe('ws_invalid_state');
    expect(codeOf(() => c.send('whole'))).toBe('ws_invalid_state');
    expect(codeOf(() => c.frameDataBegin(-1))).toBe('invalid_argument');
    expect(codeOf(() => c.ping(new Uint8Array(126)))).toBe('invalid_argument');
  });

  it('rejects close codes and reasons that cannot be sent', () => {
    const c = server();
    for (const code of [999, 1004, 1005, 1006, 1015, 2000, 5000])
      expect(codeOf(() => c.close(0, code))).toBe('invalid_argument');
    expect(codeOf(() => c.close(0, 1000, 'é'.repeat(62)))).toBe('invalid_argument');
    expect(c.state).toBe('open');
  });

  it('sends nothing once closing, and says so', () => {
    const c = server();
    c.close(0, 1000, 'bye');
    expect(c.send('late')).toBe(false);
    expect(c.messageBegin(true)).toBe(false);
    expect(c.ping()).toBe(false);
    expect(parseOut(drain(c))).toEqual(['close:1000']);
  });

  it('reports queued bytes as bufferedAmount until they are polled', () => {
    const c = server();
    c.send(new Uint8Array(100));
    c.send(new Uint8Array(100_000));
    expect(c.bufferedAmount).toBe(102 + 10 + 100_000);
    c.pollTransmit();
    expect(c.bufferedAmount).toBe(10 + 100_000);
    drain(c);
    expect(c.bufferedAmount).toBe(0);
  });
});
