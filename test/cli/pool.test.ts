import { describe, expect, it } from 'vitest';
import { runPool } from '../../src/cli/pool.js';

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('runPool', () => {
  it('runs every item with at most `concurrency` at a time and returns none unstarted', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    const left = await runPool([1, 2, 3, 4, 5], 2, async (n) => {
      most = Math.max(most, ++inFlight);
      await tick();
      inFlight--;
      done.push(n);
    });
    expect(left).toEqual([]);
    expect(most).toBe(2);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('starts nothing once the stop aborts, waits for the work under way and returns the unstarted items', async () => {
    const stop = new AbortController();
    const finished: number[] = [];
    const left = await runPool(
      [1, 2, 3, 4, 5],
      2,
      async (n) => {
        if (n === 2) stop.abort();
        await tick(20);
        finished.push(n);
      },
      stop.signal,
    );
    expect(finished.sort()).toEqual([1, 2]);
    expect(left).toEqual([3, 4, 5]);
  });

  it('after a failure starts nothing more, lets the work under way finish, then rethrows the first error', async () => {
    const finished: number[] = [];
    const pool = runPool([1, 2, 3, 4], 2, async (n) => {
      if (n === 1) throw new Error('one failed');
      await tick(20);
      finished.push(n);
    });
    await expect(pool).rejects.toThrow('one failed');
    expect(finished).toEqual([2]);
  });
});

describe('runPool with a start gate', () => {
  it('holds starts while the gate says no until work under way ends; with none under way one starts', async () => {
    let inFlight = 0;
    let most = 0;
    const asked: [number, number][] = [];
    const gate = {
      // room for one at a time only
      mayStart: (running: number, waiting: number): boolean => {
        asked.push([running, waiting]);
        return running < 1;
      },
    };
    const left = await runPool(
      [1, 2, 3, 4],
      3,
      async () => {
        most = Math.max(most, ++inFlight);
        await tick();
        inFlight--;
      },
      undefined,
      gate,
    );
    expect(left).toEqual([]);
    expect(most).toBe(1);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every(([running]) => running > 0)).toBe(true); // never asked with nothing under way
  });
});
