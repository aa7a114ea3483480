import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../src/chaos/invariants.js';
import { readLedger } from '../../src/chaos/ledger.js';
import { runArcadia } from '../../src/chaos/process.js';
import { DEFAULT_SIMULATOR_TOKEN, startSimulator, type RunningSimulator, type SimulatorConfigInput } from '../../src/digitalocean/simulator/index.js';

/** Two findings of `npm run chaos`, pinned down so they stay fixed. */

let sim: RunningSimulator | undefined;
let home: string | undefined;
afterEach(async () => {
  await sim?.close();
  if (home) rmSync(home, { recursive: true, force: true });
  sim = undefined;
  home = undefined;
});

async function setUp(config: SimulatorConfigInput, extraEnv: Record<string, string> = {}): Promise<{ sim: RunningSimulator; env: NodeJS.ProcessEnv; home: string }> {
  sim = await startSimulator({ droplets: [{ id: 1001, name: 'web-1' }], actionJitterMs: 0, rateLimitPerMinute: null, rateLimitPerHour: null, ...config });
  home = mkdtempSync(join(tmpdir(), 'arcadia-chaos-regression-'));
  const env = {
    PATH: process.env.PATH,
    NO_COLOR: '1',
    ARCADIA_HOME: home,
    ARCADIA_API_URL: sim.url,
    DIGITALOCEAN_ACCESS_TOKEN: DEFAULT_SIMULATOR_TOKEN,
    ARCADIA_POLL_INTERVAL_MS: '40',
    ARCADIA_LOOKUP_INTERVAL_MS: '40',
    ARCADIA_LOOKUP_ATTEMPTS: '60',
    ARCADIA_RETRY_BASE_MS: '20',
    ...extraEnv,
  };
  return { sim, env, home };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 3000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe('chaos findings', () => {
  it('a step retried after a transient error keeps its checkpointed action: one POST, one snapshot', async () => {
    // The action completes; while the step waits for its snapshot to be listed, one listing's retries run out.
    const box = await setUp({ actionDurationMs: { snapshot: 300 }, snapshotListingLagMs: 1000 }, { ARCADIA_HTTP_RETRIES: '1' });
    const run = runArcadia(['snapshot', '1001', '--json'], { env: box.env, hangMs: 60_000 });
    await until(() => box.sim.state().requests.some((r) => r.path === '/v2/droplets/1001/snapshots'));
    box.sim.configure({ faults: { failNextRequests: { status: 503, count: 2, method: 'GET' } } });
    const done = await run;
    expect(done.code, done.stderr).toBe(0);
    const state = box.sim.state();
    expect(state.actions.filter((a) => a.type === 'snapshot')).toHaveLength(1);
    expect(state.snapshots.filter((s) => s.name.startsWith('arcadia-snap-1001-'))).toHaveLength(1);
    expect(checkInvariants(readLedger(box.home), state)).toEqual([]);
  });

  it('a snapshot someone else is taking when arcadia posts (422) is waited for, not adopted', async () => {
    const box = await setUp({ actionDurationMs: { snapshot: 2500 }, snapshotListingLagMs: 100 });
    const byHand = await fetch(`${box.sim.url}/v2/droplets/1001/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEFAULT_SIMULATOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'snapshot', name: 'web-1-by-hand' }),
    });
    expect(byHand.status).toBe(201);
    const done = await runArcadia(['snapshot', '1001', '--json'], { env: box.env, hangMs: 60_000 });
    const state = box.sim.state();
    expect(state.requests.some((r) => r.method === 'POST' && r.status === 422), 'arcadia posted while the droplet was busy').toBe(true);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect((JSON.parse(done.stdout) as { status: string }[])[0]?.status).toBe('succeeded');
    expect(state.snapshots.filter((s) => s.name.startsWith('arcadia-snap-1001-') && s.deletedAt === null)).toHaveLength(1);
    expect(state.snapshots.find((s) => s.name === 'web-1-by-hand')?.deletedAt).toBeNull();
    expect(checkInvariants(readLedger(box.home), state)).toEqual([]);
  });
});
