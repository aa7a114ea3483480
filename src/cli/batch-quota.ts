import type { QuotaState } from '../digitalocean/rate-reserve.js';
import type { QuotaForecast } from '../output/views/quota-view.js';

export type { QuotaForecast };

export interface BatchDemand {
  /** Sagas not finished yet: not started and in flight. */
  sagasLeft: number;
  requestsPerSaga: number;
}

/** The client's pace: its burst budget per window and the length of the hourly quota's window. */
export interface ClientPace {
  requestsPerWindow: number;
  windowMs: number;
  quotaWindowMs: number;
}

/**
 * The model behind the estimate: what the batch may spend now (the quota above the reserve) goes at the burst
 * budget's pace; the rest waits for the window to free. The requests counted now (`limit - remaining`) expire
 * within one window; without knowing when each was made, they are taken as spread evenly over it. Past that, the
 * batch's own requests expire as they were made, so it goes on at the quota's pace above the reserve.
 */
export function forecastBatch(quota: QuotaState, demand: BatchDemand, pace: ClientPace): QuotaForecast {
  const leftAboveReserve = Math.max(0, quota.remaining - quota.inFlight - quota.reserve);
  const neededRequests = Math.ceil(demand.sagasLeft * demand.requestsPerSaga);
  const reservePercent = quota.limit > 0 ? Math.round((quota.reserve / quota.limit) * 100) : 0;
  const base = { limit: quota.limit, reservePercent, leftAboveReserve, neededRequests };
  if (neededRequests <= leftAboveReserve) return { ...base, fits: true, extraMs: 0 };
  const burstMs = (neededRequests / pace.requestsPerWindow) * pace.windowMs;
  const deficit = neededRequests - leftAboveReserve;
  const counted = Math.max(0, quota.limit - quota.remaining);
  const sustained = Math.max(1, quota.limit - quota.reserve);
  const quotaMs =
    deficit <= counted
      ? (deficit / Math.max(1, counted)) * pace.quotaWindowMs
      : pace.quotaWindowMs + ((deficit - counted) / sustained) * pace.quotaWindowMs;
  return { ...base, fits: false, extraMs: Math.max(0, Math.round(quotaMs - burstMs)) };
}

/**
 * Whether the batch may start one more saga now: only if the quota above the reserve covers the sagas in flight
 * and this one, so sagas already started get the requests they need to finish instead of sharing a trickle. With
 * nothing in flight one always starts (the pacer then waits for the window to free), so the batch never stalls.
 */
export function mayStartSaga(quota: QuotaState | undefined, inFlight: number, requestsPerSaga: number): boolean {
  if (quota === undefined || inFlight === 0) return true;
  const leftAboveReserve = quota.remaining - quota.inFlight - quota.reserve;
  return leftAboveReserve >= requestsPerSaga * (inFlight + 1);
}
