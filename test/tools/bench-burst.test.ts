import { describe, expect, it } from 'vitest';
import { timedBurst } from '../../tools/bench/runner-overhead.js';

/** A supply of numbered items, `chunk` more at each prepare, each prepare busy for `prepareMs`. */
function supplyOf(chunk: number, prepareMs = 0): { next(): number | undefined; prepare(): void; prepares: number } {
  const items: number[] = [];
  let made = 0;
  return {
    prepares: 0,
    next: () => items.shift(),
    prepare() {
      this.prepares += 1;
      const until = performance.now() + prepareMs;
      while (performance.now() < until) {
        // a slow chunk, as on a slow disk
      }
      for (let i = 0; i < chunk; i++) items.push(made++);
    },
  };
}

describe('the runner bench burst', () => {
  it('never runs out of prepared sagas, however fast each one runs (a fast disk)', async () => {
    const supply = supplyOf(3);
    supply.prepare();
    const burst = await timedBurst(30, supply, () => Promise.resolve(10));
    expect(burst.count).toBeGreaterThan(3 * 10);
    expect(supply.prepares).toBeGreaterThan(1);
  });

  it('stops its clock while it prepares', async () => {
    const supply = supplyOf(3, 30);
    const oneMs = (): Promise<number> => new Promise((resolve) => setTimeout(() => resolve(1), 1));
    const burst = await timedBurst(10, supply, oneMs);
    // At least two chunks (60 ms of preparing) for ten or more 1 ms runs: none of it may count.
    expect(supply.prepares).toBeGreaterThanOrEqual(2);
    expect(burst.ms).toBeGreaterThanOrEqual(10);
    expect(burst.ms).toBeLessThan(10 + 30);
  });
});
