import type { DigitalOceanClient } from '../../../digitalocean/client.js';
import { forecastBatch, mayStartSaga, type QuotaForecast } from '../../batch-quota.js';
import type { StartGate } from '../../pool.js';

/**
 * A batch's pacing to the hourly quota: starts a saga only when the quota above the reserve covers it and those in
 * flight (`mayStartSaga`), and the first time the remaining work does not fit (`forecastBatch`), says so once.
 */
export class BatchQuotaGate implements StartGate {
  private said: QuotaForecast | undefined;

  constructor(
    private readonly client: Pick<DigitalOceanClient, 'quota' | 'pace'>,
    private readonly requestsPerSaga: number,
    private onSlowed: (forecast: QuotaForecast) => void,
  ) {}

  /** The forecast said, if the batch was slowed. */
  get notice(): QuotaForecast | undefined {
    return this.said;
  }

  /** Where the notice goes from now on (the batch's live view once it runs). */
  tellTo(onSlowed: (forecast: QuotaForecast) => void): void {
    this.onSlowed = onSlowed;
  }

  /** Looks at the whole batch before it starts, so the operator hears of a slow batch at once. */
  check(sagasLeft: number): void {
    const quota = this.client.quota();
    if (quota === undefined || this.said !== undefined) return;
    const forecast = forecastBatch(quota, { sagasLeft, requestsPerSaga: this.requestsPerSaga }, this.client.pace);
    if (forecast.fits) return;
    this.said = forecast;
    this.onSlowed(forecast);
  }

  mayStart(inFlight: number, waiting: number): boolean {
    this.check(inFlight + waiting);
    return mayStartSaga(this.client.quota(), inFlight, this.requestsPerSaga);
  }
}
