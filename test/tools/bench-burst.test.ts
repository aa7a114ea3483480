import { describe, expect, it } from 'vitest';
import { timedBurst } from '../../tools/bench/runner-overhead.js';

/** A clock the test moves: preparing and running take exactly as long as the test says. */
function fakeClock(): { now: () => number; advance(ms: number): void } {
  let t = 0;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** A supply of numbered items, `chunk` more at each prepare, each prepare taking `prepareMs` on the clock. */
function supplyOf(
  chunk: number,
  clock: { advance(ms: number): void },
  prepareMs: number,
): { next(): number | undefined; prepare(): void; prepares: number } {
  const items: number[] = [];
  let made = 0;
  return {
    prepares: 0,
    next: () => items.shift(),
    prepare() {
      this.prepares += 1;
      clock.advance(prepareMs);
      for (let i = 0; i < chunk; i++) items.push(made++);
    },
  };
}

describe('the runner bench burst', () => {
  it('never runs out of prepared sagas, however fast each one runs (a fast disk)', async () => {
    const clock = fakeClock();
    const supply = supplyOf(3, clock, 0);
    supply.prepare();
    // 0.1 ms a saga: 300 sagas in a 30 ms burst, a hundred times what was prepared first.
    const burst = await timedBurst(30, supply, () => Promise.resolve((clock.advance(0.1), 10)), clock.now);
    expect(burst.count).toBeGreaterThanOrEqual(300 * 10);
    expect(supply.prepares).toBeGreaterThanOrEqual(100);
  });

  it('stops its clock while it prepares', async () => {
    const clock = fakeClock();
    const supply = supplyOf(3, clock, 30);
    const burst = await timedBurst(10, supply, () => Promise.resolve((clock.advance(1), 1)), clock.now);
    // Ten 1 ms runs, four chunks prepared (120 ms on the clock): only the runs count.
    expect(burst).toEqual({ count: 10, ms: 10 });
    expect(supply.prepares).toBe(4);
  });
});
