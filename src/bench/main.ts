import { cpus, totalmem } from 'node:os';
import { benchRunnerOverhead } from './runner-overhead.js';
import type { BenchRow } from './types.js';

function format(n: number | undefined): string {
  if (n === undefined) return '-';
  return Math.abs(n) >= 100 ? String(Math.round(n)) : n.toFixed(2);
}

const rows: BenchRow[] = [...(await benchRunnerOverhead())];

const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
console.log(`arcadia bench on ${machine}\n`);
const head = ['measure', 'value', 'unit', 'baseline', 'ratio', 'note'];
const table = [head, ...rows.map((r) => [r.name, format(r.value), r.unit, format(r.baseline), r.ratio === undefined ? '-' : r.ratio.toFixed(2), r.note ?? ''])];
const widths = head.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
for (const r of table) console.log(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '));
