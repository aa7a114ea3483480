import { mulberry32 } from '../../src/simulator/prng.js';

/** A seeded stream of choices: the same seed gives the same run plan, so a failing run can be replayed. */
export class Random {
  private readonly next: () => number;

  constructor(seed: number) {
    // Neighbouring seeds (run i and i+1) are mixed first, so their streams do not start alike.
    this.next = mulberry32(Math.imul(seed >>> 0, 0x9e3779b1) ^ 0x5bd1e995);
  }

  float(): number {
    return this.next();
  }

  /** true with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A float in [min, max), rounded to 3 places so plans print tidily. */
  between(min: number, max: number): number {
    return Math.round((min + this.next() * (max - min)) * 1000) / 1000;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** A choice by weight: `[[weight, value], ...]`. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    const total = choices.reduce((sum, [w]) => sum + w, 0);
    let roll = this.next() * total;
    for (const [weight, value] of choices) {
      roll -= weight;
      if (roll < 0) return value;
    }
    const last = choices[choices.length - 1];
    if (!last) throw new Error('weighted choice from an empty list');
    return last[1];
  }
}
