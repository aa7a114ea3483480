import { describe, expect, it } from 'vitest';
import { supersededRequests, type LoggedRequest } from '../../tools/chaos/fencing.js';
import { planRun, PAUSE_STALE_MS, SINGLE_DROPLET, type RunPlan } from '../../tools/chaos/plan.js';
import { executeRun } from '../../tools/chaos/run.js';

const SAGA = 'aaaaaaaa-0000-4000-8000-000000000001';
const OTHER = 'bbbbbbbb-0000-4000-8000-000000000002';

function request(seq: number, sagaId: string | undefined, epoch: number | undefined, method = 'GET'): LoggedRequest {
  const headers: Record<string, string> = {};
  if (sagaId !== undefined) headers['x-arcadia-saga'] = sagaId;
  if (epoch !== undefined) headers['x-arcadia-epoch'] = String(epoch);
  return { seq, method, path: `/v2/droplets/1001${method === 'POST' ? '/actions' : ''}`, headers };
}

describe('no request of a superseded epoch reaches the provider', () => {
  it('finds nothing when each saga only moves on to newer epochs (requests without the headers ignored)', () => {
    const log = [request(1, SAGA, 1), request(2, OTHER, 1), request(3, undefined, undefined), request(4, SAGA, 2)];
    log.push(request(5, OTHER, 1));
    expect(supersededRequests(log)).toEqual([]);
  });

  it("reports a request of an older epoch after the successor's, per saga, in the simulator's order", () => {
    const log = [request(3, SAGA, 2), request(1, SAGA, 1), request(4, SAGA, 1, 'POST'), request(5, OTHER, 1)];
    expect(supersededRequests(log)).toEqual([
      {
        rule: 'superseded-request',
        sagaId: SAGA,
        message:
          `saga ${SAGA}: request #4 POST /v2/droplets/1001/actions came from epoch 1 ` +
          "after request #3 of its successor's epoch 2",
      },
    ]);
  });
});

/**
 * A single snapshot whose first POST is held 2 s by a 429 and which is SIGSTOPped inside that wait: the successor
 * finishes the saga, and the woken first process must not post its snapshot action.
 */
function pausedPlan(): RunPlan {
  const base = planRun(1, ['single']);
  return {
    ...base,
    args: ['snapshot', String(SINGLE_DROPLET), '--json'],
    sim: {
      ...base.sim,
      rateLimitPerMinute: null,
      faults: { seed: 1, failNextRequests: { status: 429, count: 1, method: 'POST', retryAfterSeconds: 2 } },
    },
    env: {
      ...base.env,
      ARCADIA_LOCK_STALE_MS: String(PAUSE_STALE_MS),
      ARCADIA_RATE_LIMIT_PER_MINUTE: '250',
      ARCADIA_RATE_LIMIT_WINDOW_MS: '60000',
    },
    kill: { kind: 'none' },
    resumeKill: { kind: 'none' },
    intruder: { kind: 'pause-takeover', afterMs: 300 },
    labels: ['429 on the first POST'],
  };
}

describe('a chaos run that pauses the first command across a takeover', () => {
  it('pauses, takes over, wakes it: no request of the old epoch follows, no promise broken', async () => {
    const outcome = await executeRun(pausedPlan());
    expect(outcome.violations.map((v) => `[${v.rule}] ${v.message}`)).toEqual([]);
    expect(outcome.paused).toBe(true);
    expect(outcome.sagas).toEqual({ succeeded: 1 });
  }, 60_000);
});
