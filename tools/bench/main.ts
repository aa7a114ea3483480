import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { benchBatchRateLimit } from './batch-rate-limit.js';
import { benchCliStartup } from './cli-startup.js';
import { benchClientOverhead } from './client-overhead.js';
import { benchFleetWatch } from './fleet-watch.js';
import { LedgerFixture } from './ledger-fixture.js';
import { GROWTH_SIZES, benchLedgerGrowth } from './ledger-growth.js';
import { benchRunnerOverhead } from './runner-overhead.js';
import { benchSnapshotPolling } from './snapshot-polling.js';
import type { BenchRow } from './types.js';

function format(n: number | undefined): string {
  if (n === undefined) return '-';
  return Math.abs(n) >= 100 ? String(Math.round(n)) : n.toFixed(2);
}

const started = performance.now();
const loadAtStart = loadavg()[0] ?? 0;
const rows: BenchRow[] = [];
const section = async (what: string, bench: () => Promise<BenchRow[]>): Promise<void> => {
  const start = performance.now();
  process.stderr.write(`bench: ${what}...`);
  rows.push(...(await bench()));
  process.stderr.write(` ${((performance.now() - start) / 1000).toFixed(1)} s\n`);
};

await section('runner overhead', () => benchRunnerOverhead());
await section('client overhead', () => benchClientOverhead());
await section('requests per snapshot', () => benchSnapshotPolling());
await section('batch under a rate limit', () => benchBatchRateLimit());
await section('fleets with the watcher (200 and 500 droplets)', () => benchFleetWatch());
// Ledgers of 1k, 10k and 100k sagas for the growth rows; the 100k one serves the start-up rows too.
const ledgers: LedgerFixture[] = [];
try {
  await section(`filling ledgers of ${GROWTH_SIZES.map((n) => n.toLocaleString('en')).join(', ')} sagas`, async () => {
    for (const size of GROWTH_SIZES) ledgers.push(LedgerFixture.of(size));
    return [];
  });
  await section('saga list/show as the ledger grows', () => benchLedgerGrowth(ledgers));
  await section('CLI start-up at 100k sagas', () => benchCliStartup(ledgers[ledgers.length - 1]));
} finally {
  for (const ledger of ledgers) ledger.cleanup();
}

const cpu = cpus();
const machine =
  `${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
  `Node ${process.version}, ${process.platform}`;
// Timings are only as quiet as the machine: the 1-minute load average, before and after, says how quiet it was.
const load = `load average ${loadAtStart.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at end`;
console.log(`arcadia bench on ${machine}; ${((performance.now() - started) / 1000).toFixed(0)} s, ${load}\n`);
const head = ['measure', 'value', 'unit', 'baseline', 'ratio', 'note'];
const table = [
  head,
  ...rows.map((r) => [
    r.name,
    format(r.value),
    r.unit,
    format(r.baseline),
    r.ratio === undefined ? '-' : r.ratio.toFixed(2),
    r.note ?? '',
  ]),
];
const widths = head.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
for (const r of table) console.log(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '));
