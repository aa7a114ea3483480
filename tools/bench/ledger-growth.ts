import { performance } from 'node:perf_hooks';
import { ledgerPath, openLedgerDatabase } from '../../src/db/open.js';
import { SqliteLedgerCore } from '../../src/db/sqlite-ledger-core.js';
import { LedgerFixture } from './ledger-fixture.js';
import { baseEnv, expectExit, interleaved, median, met, runArcadia } from './process.js';
import type { BenchRow } from './types.js';

export const GROWTH_SIZES = [1_000, 10_000, 100_000] as const;
const CLI_RUNS = 9;
const QUERY_RUNS = 200;
/** listUnfinishedSagaIds is an index lookup, but a slip back to a scan would make many runs slow: keep them few. */
const UNFINISHED_RUNS = 15;
const SHOW_IDS = 9;
const TARGET_GROWTH = 1.5;

/**
 * The ledger work of `saga list` / `saga show` alone, in this process: what would grow with the ledger if anything
 * does.
 */
function queryTimes(fixture: LedgerFixture, showIds: string[]): { list: number; show: number; unfinished: number } {
  // The synchronous core: this measures the queries' growth, which the asynchronous wrapper does not change.
  const ledger = new SqliteLedgerCore(
    openLedgerDatabase({ home: fixture.home, busyTimeoutMs: 5000 }),
    ledgerPath(fixture.home),
    5000,
  );
  try {
    const time = (work: (i: number) => void, runs = QUERY_RUNS): number => {
      for (let i = 0; i < Math.min(20, runs); i++) work(i);
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) {
        const start = performance.now();
        work(i);
        samples.push(performance.now() - start);
      }
      return median(samples);
    };
    return {
      unfinished: time(() => ledger.listUnfinishedSagaIds(), UNFINISHED_RUNS),
      list: time(() => {
        if (ledger.listSagas({ limit: 20 }).length !== 20) throw new Error('listSagas returned too few');
      }),
      show: time((i) => {
        const id = ledger.resolveSagaId((showIds[i % showIds.length] as string).slice(0, 8));
        if (!ledger.getSaga(id) || ledger.listEvents(id).length === 0) throw new Error(`saga ${id} not found`);
      }),
    };
  } finally {
    ledger.close();
  }
}

/**
 * `saga list --limit 20` and `saga show` against ledgers of 1,000, 10,000 and 100,000 sagas: both read one page (or
 * one saga) through indexes, so their time should stay flat. Start-to-exit medians, runs interleaved across the
 * sizes so drift hits all alike, and the ledger calls alone. `ledgers` (one per GROWTH_SIZES entry) may be shared.
 */
export async function benchLedgerGrowth(ledgers?: LedgerFixture[]): Promise<BenchRow[]> {
  const fixtures = ledgers ?? GROWTH_SIZES.map((size) => LedgerFixture.of(size));
  try {
    const commands: Record<string, () => ReturnType<typeof runArcadia>> = {};
    const showIds = fixtures.map((f) => f.sampleIds(SHOW_IDS, GROWTH_SIZES[0]).map((id) => id.slice(0, 8)));
    fixtures.forEach((fixture, i) => {
      const env = baseEnv({ ARCADIA_HOME: fixture.home });
      let n = 0;
      commands[`list ${i}`] = async () =>
        expectExit(await runArcadia(['saga', 'list', '--limit', '20'], env), 'saga list');
      commands[`show ${i}`] = async () =>
        expectExit(await runArcadia(['saga', 'show', showIds[i]![n++ % SHOW_IDS]!], env), 'saga show');
    });
    const cli = await interleaved(commands, CLI_RUNS);
    const queries = fixtures.map((fixture, i) => queryTimes(fixture, showIds[i]!));
    const rows: BenchRow[] = [];
    for (const [key, label] of [
      ['list', 'saga list --limit 20'],
      ['show', 'saga show <prefix>'],
    ] as const) {
      const cliAt = (i: number): number => median(cli[`${key} ${i}`]!);
      const queryAt = (i: number): number => queries[i]![key];
      const last = fixtures.length - 1;
      const growth = cliAt(last) / cliAt(0);
      const queryGrowth = queryAt(last) / queryAt(0);
      fixtures.forEach((fixture, i) => {
        rows.push({
          name: `${label} @ ${fixture.size.toLocaleString('en')} sagas`,
          value: cliAt(i),
          unit: 'ms',
          baseline: cliAt(0),
          ratio: cliAt(i) / cliAt(0),
          note:
            `start to exit, median of ${CLI_RUNS}; ledger call alone ${(queryAt(i) * 1000).toFixed(0)} µs ` +
            `(median of ${QUERY_RUNS})` +
            (i === last
              ? `; target: flat, 100k/1k ` +
                `<= ${TARGET_GROWTH}: ${met(growth <= TARGET_GROWTH && queryGrowth <= TARGET_GROWTH)} (start to ` +
                `exit ${growth.toFixed(2)}, ledger call ${queryGrowth.toFixed(2)})`
              : ''),
        });
      });
    }
    const unfinished = queries.map((q) => q.unfinished);
    const unfinishedGrowth = unfinished[unfinished.length - 1]! / unfinished[0]!;
    rows.push({
      name: `ledger.listUnfinishedSagaIds() @ ${fixtures[fixtures.length - 1]!.size.toLocaleString('en')} sagas`,
      value: unfinished[unfinished.length - 1]!,
      unit: 'ms',
      baseline: unfinished[0],
      ratio: unfinishedGrowth,
      note:
        `in-process, median of ${UNFINISHED_RUNS}; ` +
        `${fixtures.map((f, i) => `${f.size.toLocaleString('en')}: ${unfinished[i]!.toFixed(2)} ms`).join(', ')}; ` +
        `every \`arcadia snapshot\` calls it twice (orphans, then batch planning under the write lock); no ` +
        `target in the brief, flat expected: ${met(unfinishedGrowth <= TARGET_GROWTH)}`,
    });
    return rows;
  } finally {
    if (!ledgers) for (const fixture of fixtures) fixture.cleanup();
  }
}
