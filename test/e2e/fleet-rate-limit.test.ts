import { afterEach, describe, expect, it } from 'vitest';
import { FAST_SIMULATOR, arcadia, invariantViolations, sandbox, type Sandbox } from './harness.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

describe('a fleet under a binding rate limit', () => {
  it('200 droplets by tag across several pages: all succeed with (almost) no 429s, near the ideal time', async () => {
    // The burst window is shortened from a minute to 4 s on both sides, so the limit binds in seconds.
    const windowMs = 4000;
    const perWindow = 240;
    box = await sandbox(
      {
        ...FAST_SIMULATOR,
        droplets: [],
        fleet: [
          { count: 200, tag: 'web', firstId: 10_000 },
          { count: 30, tag: 'db', firstId: 20_000 },
        ],
        maxPerPage: 50,
        rateLimitPerMinute: perWindow,
        burstWindowMs: windowMs,
        snapshotListingLagMs: 60,
      },
      {
        ARCADIA_RATE_LIMIT_PER_MINUTE: String(perWindow - 10),
        ARCADIA_RATE_LIMIT_WINDOW_MS: String(windowMs),
        ARCADIA_POLL_INTERVAL_MS: '100',
      },
    );
    const started = Date.now();
    const run = await arcadia(['snapshot', '--tag', 'web', '--concurrency', '20', '--json'], box.env);
    const wallMs = Date.now() - started;
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const entries = JSON.parse(run.stdout) as { dropletId: number; status: string }[];
    expect(entries).toHaveLength(200);
    expect(entries.every((e) => e.status === 'succeeded')).toBe(true);

    const state = box.sim.state();
    const tagPages = state.requests.filter((r) => r.path === '/v2/droplets' && r.query.tag_name === 'web');
    expect(tagPages.length).toBeGreaterThanOrEqual(4);
    const refused = state.requests.filter((r) => r.status === 429);
    expect(refused.length).toBeLessThanOrEqual(5);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);

    const requests = state.requests.length;
    const idealMs = (requests / perWindow) * windowMs;
    console.log(
      `200-droplet batch: ${requests} requests, ${refused.length} x 429, wall ${wallMs} ms, ideal under the ` +
        `limit ${Math.round(idealMs)} ms (ratio ${(wallMs / idealMs).toFixed(2)})`,
    );
  }, 120_000);
});
