import type { RequestLogEntry } from '../../src/simulator/index.js';
import type { Violation } from './invariants.js';

/** What the check needs of the simulator's request log, in the order the simulator handled the requests. */
export type LoggedRequest = Pick<RequestLogEntry, 'seq' | 'method' | 'path' | 'headers'>;

/**
 * The one-owner promise on the wire: once the simulator has seen a request of a saga's epoch N (arcadia names the
 * saga and epoch in x-arcadia-saga and x-arcadia-epoch), no request of an older epoch of that saga may follow. One
 * would be a superseded executor (paused, taken over, continued) still acting over its successor. Pure.
 */
export function supersededRequests(requests: readonly LoggedRequest[]): Violation[] {
  const newest = new Map<string, { epoch: number; seq: number }>();
  const out: Violation[] = [];
  for (const request of [...requests].sort((a, b) => a.seq - b.seq)) {
    const sagaId = request.headers['x-arcadia-saga'];
    const epoch = Number(request.headers['x-arcadia-epoch']);
    if (sagaId === undefined || !Number.isSafeInteger(epoch)) continue;
    const seen = newest.get(sagaId);
    if (seen === undefined || epoch > seen.epoch) newest.set(sagaId, { epoch, seq: request.seq });
    else if (epoch < seen.epoch) {
      out.push({
        rule: 'superseded-request',
        sagaId,
        message:
          `saga ${sagaId}: request #${request.seq} ${request.method} ${request.path} came from epoch ${epoch} ` +
          `after request #${seen.seq} of its successor's epoch ${seen.epoch}`,
      });
    }
  }
  return out;
}
