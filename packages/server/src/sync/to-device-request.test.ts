import { isParleyError } from '@parley/core';
import { describe, expect, it } from 'vitest';
import { expandAddressees, parseToDeviceBody } from './to-device-request.js';

describe('sendToDevice bodies', () => {
  it('parses addressees and refuses bad shapes with Matrix codes', () => {
    expect(parseToDeviceBody({ messages: { '@a:hs': { D1: { x: 1 }, '*': {} } } }, 'hs', 10)).toEqual([
      { userId: '@a:hs', deviceId: 'D1', content: { x: 1 } },
      { userId: '@a:hs', deviceId: '*', content: {} },
    ]);
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return isParleyError(e) ? e.code : 'not a ParleyError';
      }
      return undefined;
    };
    expect(code(() => parseToDeviceBody({}, 'hs', 10))).toBe('M_BAD_JSON');
    expect(code(() => parseToDeviceBody({ messages: { 'a:hs': {} } }, 'hs', 10))).toBe('M_INVALID_PARAM');
    expect(code(() => parseToDeviceBody({ messages: { '@a:other': {} } }, 'hs', 10))).toBe('M_INVALID_PARAM');
    expect(code(() => parseToDeviceBody({ messages: { '@a:hs': [] } }, 'hs', 10))).toBe('M_BAD_JSON');
    expect(code(() => parseToDeviceBody({ messages: { '@a:hs': { D: 1 } } }, 'hs', 10))).toBe('M_BAD_JSON');
    expect(code(() => parseToDeviceBody({ messages: { '@a:hs': { '': {} } } }, 'hs', 10))).toBe(
      'M_INVALID_PARAM',
    );
    const many = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`D${i}`, {}]));
    expect(code(() => parseToDeviceBody({ messages: { '@a:hs': many } }, 'hs', 2))).toBe('M_TOO_LARGE');
  });

  it('expands "*", lets an explicit device win and drops unknown devices', () => {
    const devices = new Map([
      ['@a:hs', ['A1', 'A2']],
      ['@b:hs', ['B1']],
    ]);
    const out = expandAddressees(
      [
        { userId: '@a:hs', deviceId: 'A2', content: { n: 'explicit' } },
        { userId: '@a:hs', deviceId: '*', content: { n: 'all' } },
        { userId: '@b:hs', deviceId: 'B9', content: { n: 'unknown' } },
        { userId: '@c:hs', deviceId: '*', content: { n: 'nobody' } },
      ],
      devices,
    );
    expect(out.map((a) => [a.deviceId, a.content.n])).toEqual([
      ['A1', 'all'],
      ['A2', 'explicit'],
    ]);
  });
});
