import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import type { Clock } from '../../src/engine/clock.js';
import { withLedger } from '../helpers/ledger.js';
import { arcadia, readSagas, sandbox, type RunResult, type Sandbox } from './harness.js';

let box: Sandbox;
/** When the one successful snapshot saga of droplet 1001 finished. */
let finishedAt: number;

beforeAll(async () => {
  box = await sandbox();
  const result = await arcadia(['snapshot', '1001'], box.env);
  expect(result.code, result.stderr).toBe(0);
  finishedAt = readSagas(box.home)[0]?.updatedAt ?? Number.NaN;
});
afterAll(async () => {
  await box.cleanup();
});

function sink(): { stream: NodeJS.WritableStream; text: () => string } {
  let text = '';
  const stream = { write: (chunk: string | Uint8Array) => ((text += chunk.toString()), true) };
  return { stream: stream as unknown as NodeJS.WritableStream, text: () => text };
}

/** `arcadia check` in this process at a chosen time, so ages are exact. */
async function checkAt(ageMs: number, args: string[], env: NodeJS.ProcessEnv = box.env): Promise<RunResult> {
  const clock: Clock = { now: () => finishedAt + ageMs, sleep: () => Promise.resolve() };
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(['check', ...args], {
    env,
    streams: { stdout: stdout.stream, stderr: stderr.stream },
    clock,
  });
  return { code, signal: null, stdout: stdout.text(), stderr: stderr.text() };
}

const HOUR = 3_600_000;
const THRESHOLDS = ['--warn', '26h', '--crit', '32h'];

describe('arcadia check', () => {
  it('OK (0) with the summary line, perfdata and a line per droplet', async () => {
    const result = await checkAt(2 * HOUR, ['1001', ...THRESHOLDS]);
    expect(result.code).toBe(0);
    const [summary, ...details] = result.stdout.trim().split('\n');
    expect(summary).toBe('ARCADIA OK - 1 droplet, newest snapshot 2h ago | age_1001=7200s;93600;115200');
    expect(details).toHaveLength(1);
    expect(details[0]).toMatch(/^OK: droplet 1001 \(web-1\): newest snapshot 2h ago/);
  });

  it('with no ids, every droplet the ledger has snapshots of', async () => {
    const result = await checkAt(2 * HOUR, THRESHOLDS);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ARCADIA OK - 1 droplet,/);
  });

  it('WARNING (1) from the --warn age, CRITICAL (2) from the --crit age', async () => {
    const warning = await checkAt(26 * HOUR, ['1001', ...THRESHOLDS]);
    expect(warning.code).toBe(1);
    expect(warning.stdout).toMatch(/^ARCADIA WARNING - 1 droplet, 1 warning, .* \| age_1001=93600s;93600;115200\n/);
    const critical = await checkAt(33 * HOUR, ['1001', ...THRESHOLDS]);
    expect(critical.code).toBe(2);
    expect(critical.stdout).toMatch(/^ARCADIA CRITICAL - 1 droplet, 1 critical, .* \| age_1001=118800s;93600;115200\n/);
    expect(critical.stdout).toContain('CRITICAL: droplet 1001 (web-1)');
  });

  it('a droplet with no successful snapshot ever is CRITICAL, with U in its perfdata', async () => {
    const result = await checkAt(HOUR, ['1001', '1002', ...THRESHOLDS]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/\| age_1001=3600s;93600;115200 age_1002=U;93600;115200\n/);
    expect(result.stdout).toContain('CRITICAL: droplet 1002: no successful snapshot in the ledger');
  });

  it('--tag lists the droplets, so a tagged droplet without snapshots shows', async () => {
    const result = await checkAt(HOUR, ['--tag', 'web', ...THRESHOLDS]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('CRITICAL: droplet 1002 (web-2)');
  });

  it('--json gives the same data', async () => {
    const result = await checkAt(2 * HOUR, ['1001', '1002', ...THRESHOLDS, '--json']);
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as {
      status: string;
      exitCode: number;
      warnSeconds: number;
      critSeconds: number;
      droplets: { dropletId: number; state: string; ageSeconds: number | null }[];
    };
    expect(report).toMatchObject({ status: 'CRITICAL', exitCode: 2, warnSeconds: 93_600, critSeconds: 115_200 });
    expect(report.droplets.map((d) => [d.dropletId, d.state, d.ageSeconds])).toEqual([
      [1001, 'OK', 7200],
      [1002, 'CRITICAL', null],
    ]);
  });

  it.each([
    ['--warn longer than --crit', ['1001', '--warn', '33h', '--crit', '32h']],
    ['an age that is not one', ['1001', '--warn', 'soon']],
    ['an unknown option', ['1001', '--bogus']],
    ['a bad droplet id', ['web-1']],
  ])('UNKNOWN (3), never 2, for %s', async (_what, args) => {
    const result = await checkAt(HOUR, args);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^ARCADIA UNKNOWN - /);
  });

  it('UNKNOWN (3) for --tag without a token, and for an unreadable ledger', async () => {
    const noToken = await checkAt(HOUR, ['--tag', 'web'], { ...box.env, DIGITALOCEAN_ACCESS_TOKEN: undefined });
    expect(noToken.code).toBe(3);
    expect(noToken.stdout).toMatch(/^ARCADIA UNKNOWN - /);
    const other = await sandbox();
    try {
      writeFileSync(
        join(other.home, 'arcadia.db'),
        'not a database, just text that is long enough to be read'.repeat(100),
      );
      const unreadable = await checkAt(HOUR, ['1001'], other.env);
      expect(unreadable.code).toBe(3);
      expect(unreadable.stdout).toMatch(/^ARCADIA UNKNOWN - /);
    } finally {
      await other.cleanup();
    }
  });

  it('the built CLI exits with the Nagios code too', async () => {
    const result = await arcadia(['check', '1001', '1002'], box.env);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^ARCADIA CRITICAL - 2 droplets/);
  });
});

/** A succeeded drill of droplet 1001, as `arcadia drill` leaves it, finished `msBefore` the snapshot did. */
function recordDrill(msBefore: number): string {
  return withLedger(box.home, ({ core: ledger, db }) => {
    const stepNames = ['create_droplet_from_snapshot', 'wait_droplet_active', 'delete_restored_droplet'];
    const inputs = { snapshot_id: '777', source_droplet_id: 1001, droplet_name: 'd', size_slug: 's', region: 'r' };
    const id = `d${Date.now()}-drill`;
    ledger.createSaga({ id, kind: 'drill', stepNames, inputs, triggeredBy: 't', deploymentId: null, batchId: null }, 0);
    db.prepare(
      `UPDATE saga_runs SET status = 'succeeded', updated_at = ?, context = json_patch(context, ?) WHERE id = ?`,
    ).run(finishedAt - msBefore, JSON.stringify({ active_after_ms: 41_000 }), id);
    return id;
  });
}

describe('arcadia check --drill-warn', () => {
  beforeAll(() => {
    recordDrill(2 * 24 * HOUR);
  });

  it('OK while the last drill is younger, with drill perfdata and a drill line', async () => {
    const result = await checkAt(2 * HOUR, ['1001', ...THRESHOLDS, '--drill-warn', '8d']);
    expect(result.code).toBe(0);
    const [summary, ...details] = result.stdout.trim().split('\n');
    expect(summary).toBe(
      'ARCADIA OK - 1 droplet, newest snapshot 2h ago | age_1001=7200s;93600;115200 drill_age_1001=180000s;691200',
    );
    expect(details).toContain('OK: droplet 1001 (web-1): last drill 2d ago (snapshot 777 restored, active after 41s)');
  });

  it(
    'WARNING (1) when the last drill is older, or the droplet ' + 'was never drilled; a CRITICAL stays CRITICAL',
    async () => {
      const old = await checkAt(2 * HOUR, ['1001', ...THRESHOLDS, '--drill-warn', '1d']);
      expect(old.code).toBe(1);
      expect(old.stdout).toMatch(/^ARCADIA WARNING - 1 droplet, newest snapshot 2h ago, 1 drill overdue \|/);
      expect(old.stdout).toContain('WARNING: droplet 1001 (web-1): last drill 2d ago');
      const never = await checkAt(2 * HOUR, ['1001', '1002', ...THRESHOLDS, '--drill-warn', '8d']);
      expect(never.code).toBe(2);
      expect(never.stdout).toContain('drill_age_1002=U;691200');
      expect(never.stdout).toContain('WARNING: droplet 1002: never drilled');
    },
  );

  it('--json carries the drills beside the snapshots; a bad --drill-warn is UNKNOWN', async () => {
    const result = await checkAt(2 * HOUR, ['1001', ...THRESHOLDS, '--drill-warn', '1d', '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      status: string;
      state: string;
      drills: { state: string; warnSeconds: number; droplets: { dropletId: number; ageSeconds: number }[] };
    };
    expect(report).toMatchObject({ status: 'WARNING', state: 'OK' });
    expect(report.drills).toMatchObject({ state: 'WARNING', warnSeconds: 86_400 });
    expect(report.drills.droplets).toMatchObject([{ dropletId: 1001, ageSeconds: 180_000, activeAfterMs: 41_000 }]);
    const bad = await checkAt(HOUR, ['1001', '--drill-warn', 'weekly']);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/^ARCADIA UNKNOWN - --drill-warn "weekly"/);
  });

  it('without --drill-warn, drills change nothing', async () => {
    const result = await checkAt(2 * HOUR, ['1001', ...THRESHOLDS, '--json']);
    expect(JSON.parse(result.stdout)).not.toHaveProperty('drills');
  });
});
