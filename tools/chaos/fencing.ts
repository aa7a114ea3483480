import type { RequestLogEntry } from '../../src/simulator/index.js';
import type { Violation } from './invariants.js';

/** What the check needs of the simulator's request log, in the order the simulator handled the requests. */
export type LoggedRequest = Pick<RequestLogEntry, 'seq' | 'method' | 'path' | 'headers'>;

/** Requests without a body: nothing fences them after the lease check, so one may be on its way at a pause. */
const BODYLESS = new Set(['GET', 'DELETE', 'HEAD']);

/**
 * The one-owner promise on the wire: once the simulator has seen a request of a saga's epoch N (arcadia names the
 * saga and epoch in x-arcadia-saga and x-arcadia-epoch), no request of an older epoch of that saga may follow. One
 * would be a superseded executor (paused, taken over, continued) still acting over its successor.
 *
 * One exception, the mechanism's limit (ARCHITECTURE.md, "Promise 2: one owner"): a pause that lands between a
 * request's lease check and its bytes reaching the socket lets that one request leave after the pause, as if it had
 * been in flight. A POST still cannot complete (its body re-checks the lease when it is pulled), a body-less request
 * can: so each old epoch may have one late GET or DELETE, and nothing after it. Pure.
 */
export function supersededRequests(requests: readonly LoggedRequest[]): Violation[] {
  const newest = new Map<string, { epoch: number; seq: number }>();
  const lateOnes = new Map<string, number>();
  const out: Violation[] = [];
  for (const request of [...requests].sort((a, b) => a.seq - b.seq)) {
    const sagaId = request.headers['x-arcadia-saga'];
    const epoch = Number(request.headers['x-arcadia-epoch']);
    if (sagaId === undefined || !Number.isSafeInteger(epoch)) continue;
    const seen = newest.get(sagaId);
    if (seen === undefined || epoch > seen.epoch) {
      newest.set(sagaId, { epoch, seq: request.seq });
      continue;
    }
    if (epoch === seen.epoch) continue;
    const key = `${sagaId}@${epoch}`;
    const late = (lateOnes.get(key) ?? 0) + 1;
    lateOnes.set(key, late);
    if (late === 1 && BODYLESS.has(request.method)) continue;
    out.push({
      rule: 'superseded-request',
      sagaId,
      message:
        `saga ${sagaId}: request #${request.seq} ${request.method} ${request.path} came from epoch ${epoch} ` +
        `after request #${seen.seq} of its successor's epoch ${seen.epoch}` +
        (late > 1 ? ` (late request ${late} of that epoch)` : ''),
    });
  }
  return out;
}
