import { describe, expect, it } from 'vitest';
import { DeviceLogouts } from './device-logouts.js';

describe('DeviceLogouts', () => {
  it('tells a check about logouts of its device after it began, not before', () => {
    const l = new DeviceLogouts();
    l.record('@a:x', 'OLD'); // before any check: nobody needs it
    const check = l.begin();
    expect(check.loggedOut('@a:x', 'OLD')).toBe(false);
    l.record('@a:x', 'D1');
    expect(check.loggedOut('@a:x', 'D1')).toBe(true);
    expect(check.loggedOut('@a:x', 'D2')).toBe(false);
    expect(check.loggedOut('@b:x', 'D1')).toBe(false);
    const later = l.begin();
    expect(later.loggedOut('@a:x', 'D1')).toBe(false);
    check.end();
    later.end();
  });

  it('does not confuse ids that would join to the same string', () => {
    const l = new DeviceLogouts();
    const check = l.begin();
    l.record('@a:x', 'b c');
    expect(check.loggedOut('@a:x b', 'c')).toBe(false);
    check.end();
  });

  it('keeps a logout only while a check that began before it is open', () => {
    const l = new DeviceLogouts();
    const first = l.begin();
    l.record('@a:x', 'D1');
    const second = l.begin();
    l.record('@a:x', 'D2');
    expect(l.kept).toBe(2);
    first.end(); // only `second` is left: D1 happened before it began
    expect(l.kept).toBe(1);
    expect(second.loggedOut('@a:x', 'D2')).toBe(true);
    first.end(); // ending twice changes nothing
    expect(l.kept).toBe(1);
    second.end();
    expect(l.kept).toBe(0);
    l.record('@a:x', 'D3'); // no open check: nothing kept
    expect(l.kept).toBe(0);
  });
});
