import { describe, expect, it } from 'vitest';
import { TypingTable } from './typing-table.js';

describe('TypingTable', () => {
  it('tells a change of the set from a renewal, and expires by time', () => {
    const t = new TypingTable();
    expect(t.state('!r')).toEqual({ user_ids: [], position: 0 });
    expect(t.start('!r', '@b', 200)).toBe(true);
    expect(t.start('!r', '@a', 100)).toBe(true);
    t.setPosition('!r', 5);
    expect(t.state('!r')).toEqual({ user_ids: ['@a', '@b'], position: 5 });
    expect(t.start('!r', '@a', 300)).toBe(false);
    expect(t.nextExpiry()).toBe(200);
    expect(t.due(250)).toEqual([{ roomId: '!r', userId: '@b' }]);
    expect(t.stop('!r', '@b')).toBe(true);
    expect(t.stop('!r', '@b')).toBe(false);
    expect(t.due(1000)).toEqual([{ roomId: '!r', userId: '@a' }]);
    expect(t.size).toBe(1);
    t.stop('!r', '@a');
    t.setPosition('!r', 9);
    // An empty set keeps its position, so "nobody is typing" is news to those who saw someone.
    expect(t.state('!r')).toEqual({ user_ids: [], position: 9 });
    expect(t.nextExpiry()).toBeUndefined();
  });
});
