import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SIMULATOR_TOKEN } from '../../src/simulator/index.js';
import { ALWAYS_WRITTEN, parseMetrics, valueOf } from '../monitoring/metrics-text.js';
import { waitFor } from '../helpers/arcadia.js';
import { FAST_SIMULATOR, arcadia, readSagas, sandbox, start, type Sandbox } from './harness.js';
import { closedPortUrl, startPingServer, type PingServer } from './ping-server.js';

let box: Sandbox | undefined;
let pings: PingServer | undefined;
afterEach(async () => {
  await pings?.close();
  await box?.cleanup();
  box = undefined;
  pings = undefined;
});

const FAST_PINGS = { ARCADIA_PING_TIMEOUT_MS: '500', ARCADIA_PING_RETRIES: '1', ARCADIA_PING_RETRY_MS: '20' };

function metricsOf(path: string): ReturnType<typeof parseMetrics> {
  return parseMetrics(readFileSync(path, 'utf8'));
}

describe('snapshot --metrics-file', () => {
  it('writes the run and the ledger as Prometheus text; a failed run keeps the last success', async () => {
    box = await sandbox();
    const file = join(box.home, 'arcadia.prom');
    const ok = await arcadia(['snapshot', '1001', '--metrics-file', file], box.env);
    expect(ok.code, ok.stderr).toBe(0);
    let metrics = metricsOf(file);
    expect(readFileSync(file, 'utf8')).not.toContain(DEFAULT_SIMULATOR_TOKEN);
    // readable by node_exporter as the operator's umask allows, though arcadia's own files are owner-only
    const umask = process.umask();
    expect(statSync(file).mode & 0o777).toBe(0o644 & ~umask);
    for (const name of ALWAYS_WRITTEN) expect(metrics.has(name), name).toBe(true);
    const [saga] = readSagas(box.home);
    const labels = { droplet_id: '1001', droplet_name: 'web-1' };
    const lastSuccess = valueOf(metrics, 'arcadia_last_success_timestamp_seconds', labels);
    expect(lastSuccess).toBe((saga?.updatedAt ?? 0) / 1000);
    expect(valueOf(metrics, 'arcadia_run_exit_code')).toBe(0);
    expect(valueOf(metrics, 'arcadia_sagas', { status: 'succeeded' })).toBe(1);
    expect(valueOf(metrics, 'arcadia_sagas', { status: 'rolled_back' })).toBe(0);
    expect(valueOf(metrics, 'arcadia_snapshots_kept', { droplet_id: '1001' })).toBe(1);
    expect(valueOf(metrics, 'arcadia_snapshot_bytes', { droplet_id: '1001' })).toBeGreaterThan(0);
    // Every attempt the client sent, counted by the client, is one the simulator received.
    expect(valueOf(metrics, 'arcadia_api_requests_total')).toBe(box.sim.state().requests.length);
    expect(valueOf(metrics, 'arcadia_last_run_timestamp_seconds')).toBeLessThanOrEqual(lastSuccess);

    box.sim.configure({ faults: { errorNextActions: 1 } });
    const failed = await arcadia(['snapshot', '1001'], { ...box.env, ARCADIA_METRICS_FILE: file });
    expect(failed.code).toBe(1);
    metrics = metricsOf(file);
    expect(valueOf(metrics, 'arcadia_run_exit_code')).toBe(1);
    expect(valueOf(metrics, 'arcadia_sagas', { status: 'rolled_back' })).toBe(1);
    expect(valueOf(metrics, 'arcadia_sagas', { status: 'succeeded' })).toBe(0);
    expect(valueOf(metrics, 'arcadia_last_success_timestamp_seconds', { droplet_id: '1001' })).toBe(lastSuccess);
    expect(valueOf(metrics, 'arcadia_snapshots_kept', { droplet_id: '1001' })).toBe(1);

    // Refused before any saga (no such droplet): still a run with an exit code, still the last success.
    const refused = await arcadia(['snapshot', '4242', '--metrics-file', file], box.env);
    expect(refused.code).toBe(2);
    metrics = metricsOf(file);
    expect(valueOf(metrics, 'arcadia_run_exit_code')).toBe(2);
    expect(valueOf(metrics, 'arcadia_last_success_timestamp_seconds', { droplet_id: '1001' })).toBe(lastSuccess);
  });

  it("reports the last reconcile's leaks, a plain reconcile's too, and 0 once --delete removed them", async () => {
    box = await sandbox({
      ...FAST_SIMULATOR,
      droplets: [
        {
          id: 1001,
          name: 'web-1',
          snapshots: [
            { name: 'arcadia-snap-1001-aaaaaaa1', createdAt: '2026-11-01T03:00:00Z' },
            { name: 'arcadia-snap-1001-aaaaaaa2', createdAt: '2026-11-02T03:00:00Z' },
          ],
        },
      ],
    });
    const file = join(box.home, 'arcadia.prom');
    const first = await arcadia(['snapshot', '1001', '--metrics-file', file], box.env);
    expect(first.code, first.stderr).toBe(0);
    expect(metricsOf(file).has('arcadia_leaked_snapshots')).toBe(false); // no reconcile ran yet

    const found = await arcadia(['reconcile'], box.env);
    expect(found.code, found.stderr).toBe(5);
    await arcadia(['snapshot', '1001', '--metrics-file', file], box.env);
    expect(valueOf(metricsOf(file), 'arcadia_leaked_snapshots')).toBe(2);

    const cleaned = await arcadia(['reconcile', '--delete'], box.env);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    await arcadia(['snapshot', '1001', '--metrics-file', file], box.env);
    expect(valueOf(metricsOf(file), 'arcadia_leaked_snapshots')).toBe(0);
  });

  it('is never observed half-written while runs replace it', async () => {
    box = await sandbox();
    const file = join(box.home, 'arcadia.prom');
    let running = true;
    let reads = 0;
    const torn: string[] = [];
    const reader = (async () => {
      while (running) {
        if (existsSync(file)) {
          const text = readFileSync(file, 'utf8');
          reads += 1;
          const families = parseMetrics(text);
          const missing = ALWAYS_WRITTEN.filter((name) => !families.has(name));
          if (!text.endsWith('\n') || missing.length > 0) torn.push(text);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const env = { ...box.env, ARCADIA_METRICS_FILE: file };
    for (let run = 0; run < 4; run += 1) {
      const result = await start(['snapshot', run % 2 === 0 ? '1001' : '1002'], env).done;
      expect(result.code, result.stderr).toBe(0);
    }
    running = false;
    await reader;
    expect(torn).toEqual([]);
    expect(reads).toBeGreaterThan(10);
  });

  it('an interrupted run (SIGTERM) still writes its exit code, and pings it', async () => {
    const slow = { ...FAST_SIMULATOR.actionDurationMs, snapshot: 5_000 };
    box = await sandbox({ ...FAST_SIMULATOR, actionDurationMs: slow });
    pings = await startPingServer();
    const file = join(box.home, 'arcadia.prom');
    const run = start(['snapshot', '1001', '--metrics-file', file, '--ping', pings.url], box.env);
    const sim = box.sim;
    await waitFor(() => sim.state().requests.some((r) => r.method === 'POST'), { what: 'the snapshot POST' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(143);
    expect(valueOf(metricsOf(file), 'arcadia_run_exit_code')).toBe(143);
    expect(valueOf(metricsOf(file), 'arcadia_sagas', { status: 'interrupted' })).toBe(1);
    expect(pings.received.map((p) => p.path)).toEqual(['/ping/3f2a-uuid/start', '/ping/3f2a-uuid/143']);
  });

  it('refuses a metrics file in a folder that does not exist before anything runs (exit 4)', async () => {
    box = await sandbox();
    const result = await arcadia(['snapshot', '1001', '--metrics-file', join(box.home, 'nope', 'a.prom')], box.env);
    expect(result.code).toBe(4);
    expect(box.sim.state().requests).toEqual([]);
  });
});

describe('snapshot --ping', () => {
  it('pings start then success, with the batch id, and never sends the token', async () => {
    box = await sandbox();
    pings = await startPingServer();
    const result = await arcadia(['snapshot', '1001', '--ping', pings.url], box.env);
    expect(result.code, result.stderr).toBe(0);
    const [saga] = readSagas(box.home);
    expect(pings.received.map((p) => [p.path, p.rid])).toEqual([
      ['/ping/3f2a-uuid/start', saga?.batchId],
      ['/ping/3f2a-uuid', saga?.batchId],
    ]);
    for (const ping of pings.received) {
      expect(ping.headers.authorization).toBeUndefined();
      expect(JSON.stringify(ping.headers)).not.toContain(DEFAULT_SIMULATOR_TOKEN);
    }
  });

  it('pings the exit code on failure, from ARCADIA_PING_URL', async () => {
    box = await sandbox();
    pings = await startPingServer();
    box.sim.configure({ faults: { errorNextActions: 1 } });
    const result = await arcadia(['snapshot', '1001'], { ...box.env, ARCADIA_PING_URL: pings.url });
    expect(result.code).toBe(1);
    const rid = readSagas(box.home)[0]?.batchId;
    expect(pings.received.map((p) => [p.path, p.rid])).toEqual([
      ['/ping/3f2a-uuid/start', rid],
      ['/ping/3f2a-uuid/1', rid],
    ]);
  });

  it('a ping server answering 500 does not change the exit code: a warning on stderr, stdout stays JSON', async () => {
    box = await sandbox();
    pings = await startPingServer(500);
    const result = await arcadia(['snapshot', '1001', '--ping', pings.url, '--json'], { ...box.env, ...FAST_PINGS });
    expect(result.code, result.stderr).toBe(0);
    expect(() => JSON.parse(result.stdout) as unknown).not.toThrow();
    expect(result.stdout).not.toContain('ping');
    expect(result.stderr).toMatch(/warning: the start ping failed .*HTTP 500/);
    expect(result.stderr).toMatch(/warning: the success ping failed .*HTTP 500/);
    // the first attempt and the one retry, for each of the two pings
    expect(pings.received).toHaveLength(4);
  });

  it('a closed port does not change the exit code either, failed or not', async () => {
    box = await sandbox();
    const url = await closedPortUrl();
    const ok = await arcadia(['snapshot', '1001', '--ping', url], { ...box.env, ...FAST_PINGS });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/warning: the start ping failed/);
    box.sim.configure({ faults: { errorNextActions: 1 } });
    const failed = await arcadia(['snapshot', '1001', '--ping', url], { ...box.env, ...FAST_PINGS });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/warning: the exit 1 ping failed/);
  });

  it.each([
    ['http://example.com/ping', /loopback/],
    ['ftp://127.0.0.1/ping', /https/],
    ['https://user:pw@hc-ping.com/x', /credentials/],
    ['not a url', /not a URL/],
  ])('refuses %s before anything runs (exit 4)', async (url, message) => {
    box = await sandbox();
    const result = await arcadia(['snapshot', '1001', '--ping', url], box.env);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain('pw@');
    expect(box.sim.state().requests).toEqual([]);
    expect(readSagas(box.home)).toEqual([]);
  });
});
