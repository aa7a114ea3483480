import { LedgerFixture } from './ledger-fixture.js';
import { baseEnv, expectExit, interleaved, median, met, runArcadia, runNode } from './process.js';
import type { BenchRow } from './types.js';

const SAGAS = 100_000;
const RUNS = 10;
const TARGET_RATIO = 2;

/**
 * `saga list --limit 20` and `saga show <id>` start to exit against a ledger of 100,000 sagas, beside `node -e 0`
 * in the same run: what an operator waits for, and how much of it arcadia adds to starting Node at all.
 */
export async function benchCliStartup(shared?: LedgerFixture): Promise<BenchRow[]> {
  const fixture = shared ?? new LedgerFixture();
  try {
    if (fixture.size < SAGAS) fixture.growTo(SAGAS);
    const env = baseEnv({ ARCADIA_HOME: fixture.home });
    const show = fixture.sampleIds(RUNS);
    let n = 0;
    const times = await interleaved(
      {
        node: async () => expectExit(await runNode(['-e', '0'], env), 'node -e 0'),
        list: async () => {
          const run = expectExit(await runArcadia(['saga', 'list', '--limit', '20'], env), 'saga list');
          if (run.stdout.trim().split('\n').length < 21)
            throw new Error(`saga list printed too little:\n${run.stdout}`);
          return run;
        },
        show: async () =>
          expectExit(
            await runArcadia(['saga', 'show', (show[n++ % show.length] as string).slice(0, 8)], env),
            'saga show',
          ),
      },
      RUNS,
    );
    const node = median(times.node!);
    const row = (name: string, key: 'list' | 'show', what: string): BenchRow => {
      const value = median(times[key]!);
      return {
        name,
        value,
        unit: 'ms',
        baseline: node,
        ratio: value / node,
        note:
          `target < ${TARGET_RATIO}x node -e 0: ${met(value / node < TARGET_RATIO)}; median of ${RUNS}, ` +
          `interleaved with the baseline; ${what}; ${fixture.size.toLocaleString('en')} sagas`,
      };
    };
    return [
      row('saga list --limit 20, start to exit', 'list', 'stdout piped (plain table)'),
      row('saga show <8-hex prefix>, start to exit', 'show', 'a different finished saga each run'),
    ];
  } finally {
    if (!shared) fixture.cleanup();
  }
}
