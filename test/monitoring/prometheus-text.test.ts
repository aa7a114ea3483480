import {
  closeSync,
  mkdtempSync,
  openSync,
  readSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomically } from '../../src/monitoring/atomic-file.js';
import { formatPrometheusText } from '../../src/monitoring/prometheus-text.js';
import { snapshotMetrics } from '../../src/monitoring/snapshot-metrics.js';
import { parseMetrics, valueOf } from './metrics-text.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('the Prometheus text format', () => {
  it('escapes backslash, quote and newline in label values so a parser reads the original back', () => {
    const hostile = 'web\\1 "prod"\nfake_metric 1';
    const text = formatPrometheusText([
      {
        name: 'arcadia_x',
        help: 'a help with a \\ and\na newline',
        type: 'gauge',
        samples: [{ labels: { droplet_name: hostile }, value: 1 }],
      },
    ]);
    expect(text.split('\n').filter((line) => line.startsWith('fake_metric'))).toEqual([]);
    const families = parseMetrics(text);
    expect(families.get('arcadia_x')?.metrics[0]?.labels?.droplet_name).toBe(hostile);
    expect(families.get('arcadia_x')?.type).toBe('GAUGE');
  });

  it('writes HELP and TYPE for every family, and a failed run with an unreadable ledger still reports itself', () => {
    const run = { startedAt: 1_000_000, finishedAt: 1_002_500, exitCode: 4, sagaStatuses: [], apiRequests: 0 };
    const text = formatPrometheusText(snapshotMetrics(run, null));
    const families = parseMetrics(text);
    expect(valueOf(families, 'arcadia_run_exit_code')).toBe(4);
    expect(valueOf(families, 'arcadia_run_duration_seconds')).toBe(2.5);
    expect(valueOf(families, 'arcadia_sagas', { status: 'succeeded' })).toBe(0);
    for (const name of families.keys()) {
      expect(text).toContain(`# HELP ${name} `);
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('counts kept snapshots and their bytes without the ones retention deleted', () => {
    const base = { dropletName: 'web-1', dropletId: 1001, sizeGigabytes: 2 };
    const facts = {
      succeeded: [
        { ...base, sagaId: 'c', snapshotId: '30', finishedAt: 3_000 },
        { ...base, sagaId: 'b', snapshotId: '20', finishedAt: 2_000 },
        { ...base, sagaId: 'a', snapshotId: '10', finishedAt: 1_000, dropletName: '' },
      ],
      drills: [],
      deletedSnapshotIds: new Set(['10']),
      leakedSnapshots: 2,
    };
    const run = { startedAt: 0, finishedAt: 0, exitCode: 0, sagaStatuses: ['succeeded'], apiRequests: 7 };
    const families = parseMetrics(formatPrometheusText(snapshotMetrics(run, facts)));
    const labels = { droplet_id: '1001', droplet_name: 'web-1' };
    expect(valueOf(families, 'arcadia_last_success_timestamp_seconds', labels)).toBe(3);
    expect(valueOf(families, 'arcadia_snapshots_kept', { droplet_id: '1001' })).toBe(2);
    expect(valueOf(families, 'arcadia_snapshot_bytes', { droplet_id: '1001' })).toBe(4 * 1024 ** 3);
    expect(valueOf(families, 'arcadia_leaked_snapshots')).toBe(2);
    expect(valueOf(families, 'arcadia_api_requests_total')).toBe(7);
  });
});

describe('writeFileAtomically', () => {
  it('replaces the file whole and leaves no temporary file behind', () => {
    const folder = mkdtempSync(join(tmpdir(), 'arcadia-atomic-'));
    folders.push(folder);
    const path = join(folder, 'arcadia.prom');
    writeFileSync(path, 'old\n');
    writeFileAtomically(path, 'new\n', 0o640);
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(readdirSync(folder)).toEqual(['arcadia.prom']);
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  // A reader polling the file (the e2e test) rarely lands in the instant between a truncation and a write; this
  // shows deterministically that the file is never rewritten in place: a reader that opened the old file still
  // reads the old file whole, and the path names a new file only once it is complete.
  it('never rewrites the file in place: a reader holding the old file keeps reading it whole', () => {
    const folder = mkdtempSync(join(tmpdir(), 'arcadia-atomic-'));
    folders.push(folder);
    const path = join(folder, 'arcadia.prom');
    const old = 'old_metric 1\n'.repeat(1000);
    writeFileSync(path, old);
    const reader = openSync(path, 'r');
    try {
      writeFileAtomically(path, 'new_metric 2\n');
      const buffer = Buffer.alloc(old.length + 10);
      const length = readSync(reader, buffer, 0, buffer.length, 0);
      expect(buffer.subarray(0, length).toString('utf8')).toBe(old);
    } finally {
      closeSync(reader);
    }
    expect(readFileSync(path, 'utf8')).toBe('new_metric 2\n');
  });
});
