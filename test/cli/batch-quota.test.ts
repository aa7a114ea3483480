import { describe, expect, it } from 'vitest';
import { forecastBatch, mayStartSaga } from '../../src/cli/batch-quota.js';
import { BatchQuotaGate } from '../../src/cli/commands/snapshot/quota-gate.js';
import { requestsPerSnapshotSaga } from '../../src/cli/commands/snapshot/request-estimate.js';
import type { QuotaState } from '../../src/digitalocean/rate-reserve.js';
import { aboutDuration, quotaNoticeDetail, quotaNoticeJson } from '../../src/output/views/quota-view.js';

const HOUR = 3_600_000;
const PACE = { requestsPerWindow: 250, windowMs: 60_000, quotaWindowMs: HOUR };
const quota = (remaining: number, inFlight = 0): QuotaState => ({
  limit: 5000,
  remaining,
  resetAt: 0,
  reserve: 1000,
  inFlight,
});

describe('forecastBatch', () => {
  it('fits: nothing said, nothing longer', () => {
    expect(forecastBatch(quota(4000), { sagasLeft: 200, requestsPerSaga: 12 }, PACE)).toEqual({
      limit: 5000,
      reservePercent: 20,
      leftAboveReserve: 3000,
      neededRequests: 2400,
      fits: true,
      extraMs: 0,
    });
  });

  it('short of the quota: the deficit waits for the 2,170 counted requests to expire over the hour', () => {
    const forecast = forecastBatch(quota(2830), { sagasLeft: 200, requestsPerSaga: 12 }, PACE);
    // 570 short: 570 / 2170 of an hour (945.6 s) instead of 2400 / 250 minutes at the burst budget (576 s)
    expect(forecast).toMatchObject({ leftAboveReserve: 1830, neededRequests: 2400, fits: false });
    expect(forecast.extraMs).toBe(Math.round((570 / 2170) * HOUR - 576_000));
    expect(`hourly API quota: ${quotaNoticeDetail(forecast)}`).toBe(
      'hourly API quota: 1,830 of 5,000 left above the 20% reserve; this batch needs about 2,400 requests and ' +
        'will take about 6 min longer',
    );
  });

  it('more than the whole window frees: past the hour it goes on at the quota above the reserve', () => {
    const forecast = forecastBatch(quota(1200), { sagasLeft: 1000, requestsPerSaga: 10 }, PACE);
    // 9,800 short, 3,800 of them expire within the hour, the other 6,000 at 4,000 an hour: 2.5 h, less the 40 min
    expect(forecast.extraMs).toBe(HOUR + 1.5 * HOUR - 2_400_000);
    expect(aboutDuration(forecast.extraMs)).toBe('about 1 h 50 min');
  });

  it('counts requests in flight as spent and never reports less than nothing above the reserve', () => {
    expect(forecastBatch(quota(1010, 20), { sagasLeft: 1, requestsPerSaga: 1 }, PACE).leftAboveReserve).toBe(0);
    expect(forecastBatch(quota(500), { sagasLeft: 1, requestsPerSaga: 1 }, PACE)).toMatchObject({
      leftAboveReserve: 0,
      fits: false,
    });
  });

  it('the JSON field carries the figures and the sentence, no token or URL', () => {
    const json = quotaNoticeJson(forecastBatch(quota(2830), { sagasLeft: 200, requestsPerSaga: 12 }, PACE));
    expect(Object.keys(json)).toEqual([
      'limit',
      'reservePercent',
      'leftAboveReserve',
      'neededRequests',
      'extraMs',
      'message',
    ]);
    expect(json.message).toMatch(/^hourly API quota: 1,830 of 5,000/);
  });
});

describe('aboutDuration', () => {
  it.each([
    [400, 'about 1 s'],
    [45_000, 'about 45 s'],
    [25 * 60_000, 'about 25 min'],
    [60 * 60_000, 'about 1 h'],
    [(2 * 60 + 5) * 60_000, 'about 2 h 5 min'],
  ])('%d ms is %s', (ms, text) => {
    expect(aboutDuration(ms)).toBe(text);
  });
});

describe('mayStartSaga', () => {
  it.each([
    ['nothing known yet', undefined, 5, true],
    ['nothing in flight: one always starts, even at the reserve', quota(1000), 0, true],
    ['room for those in flight and one more', quota(1000 + 12 * 4), 3, true],
    ['not enough for one more', quota(1000 + 12 * 4 - 1), 3, false],
    ['below the reserve', quota(300), 1, false],
  ] as const)('%s', (_, state, inFlight, expected) => {
    expect(mayStartSaga(state, inFlight, 12)).toBe(expected);
  });
});

describe('BatchQuotaGate', () => {
  it('says once that the batch is slowed, then holds starts until the quota covers them', () => {
    let state = quota(4000);
    const said: string[] = [];
    const client = { quota: () => state, pace: PACE };
    const gate = new BatchQuotaGate(client, 10, (f) => said.push(quotaNoticeDetail(f)));
    gate.check(100); // 1,000 needed, 3,000 there
    expect(said).toEqual([]);
    state = quota(1050); // another tool spent it meanwhile
    expect(gate.mayStart(10, 90)).toBe(false); // 50 above the reserve cannot feed 11 sagas of 10
    expect(gate.mayStart(10, 89)).toBe(false);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^50 of 5,000 left above the 20% reserve; this batch needs about 1,000 requests/);
    expect(gate.notice).toMatchObject({ neededRequests: 1000 });
    expect(gate.mayStart(2, 50)).toBe(true);
  });
});

describe('requestsPerSnapshotSaga', () => {
  it('is the measured figure for a plain snapshot, more with each optional step', () => {
    const plain = { powerOff: false, withVolumes: false, copyTo: [], retention: false };
    expect(requestsPerSnapshotSaga(plain)).toBe(1.2);
    expect(requestsPerSnapshotSaga({ ...plain, copyTo: ['ams3', 'sfo3'] })).toBeGreaterThan(1.2);
    expect(requestsPerSnapshotSaga({ ...plain, powerOff: true })).toBeGreaterThan(1.2);
  });
});
