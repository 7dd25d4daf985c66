import { describe, expect, it } from 'vitest';
import { SerialQueue } from './serial-queue.js';

describe('SerialQueue', () => {
  it('runs an operation at once, synchronously, when nothing is pending', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    const p = q.run(() => {
      log.push('a');
      return 1;
    });
    expect(log).toEqual(['a']);
    expect(q.pending).toBe(0);
    expect(await p).toBe(1);
  });

  it('keeps the order of hand-in across asynchronous operations', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const a = q.run(async () => {
      log.push('a start');
      await gate;
      log.push('a end');
    });
    const b = q.run(() => {
      log.push('b');
    });
    const c = q.run(async () => {
      log.push('c');
    });
    expect(log).toEqual(['a start']);
    expect(q.pending).toBe(3);
    release();
    await Promise.all([a, b, c]);
    expect(log).toEqual(['a start', 'a end', 'b', 'c']);
    expect(q.pending).toBe(0);
    // Idle again: the next operation runs synchronously.
    q.run(() => log.push('d'));
    expect(log.at(-1)).toBe('d');
  });

  it('reports a failure to its caller and goes on with the next operation', async () => {
    const q = new SerialQueue();
    const failing = q.run(async () => {
      throw new Error('boom');
    });
    const next = q.run(() => 'after');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('after');
    await expect(
      q.run(() => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
    expect(q.pending).toBe(0);
  });
});
