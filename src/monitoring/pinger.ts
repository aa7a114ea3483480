/** How the pings of one run are sent. Every wait is configurable so tests run in milliseconds. */
export interface PingOptions {
  url: URL;
  /** Sent as `rid`, so the monitoring service pairs the start with its end. */
  runId: string;
  timeoutMs: number;
  /** Attempts after the first. */
  retries: number;
  retryDelayMs: number;
  userAgent: string;
  /** Told of a ping that failed after its retries; the run goes on regardless. */
  onFailure: (event: PingEvent, reason: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** `start` when the run begins, then `success` (exit 0) or the exit code. */
export type PingEvent = 'start' | 'success' | number;

function pingUrl(base: URL, event: PingEvent, runId: string): URL {
  const url = new URL(base.href);
  const suffix = event === 'start' ? 'start' : event === 'success' ? '' : String(event);
  if (suffix) url.pathname = `${url.pathname.replace(/\/+$/, '')}/${suffix}`;
  url.searchParams.set('rid', runId);
  return url;
}

function reasonOf(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  return cause ?? (error instanceof Error ? error.message : String(error));
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Healthchecks-style pings. Never throws: a monitoring service being down must not fail the backup it watches.
 * No token or other header of the API's goes out; redirects are not followed, so the ping goes nowhere else.
 */
export async function sendPing(options: PingOptions, event: PingEvent): Promise<boolean> {
  const url = pingUrl(options.url, event, options.runId);
  const sleep = options.sleep ?? defaultSleep;
  let reason = '';
  for (let attempt = 0; attempt <= options.retries; attempt += 1) {
    if (attempt > 0) await sleep(options.retryDelayMs);
    try {
      const response = await fetch(url, {
        method: 'GET',
        headers: { 'User-Agent': options.userAgent },
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) return true;
      reason = `HTTP ${response.status}`;
    } catch (error) {
      reason = reasonOf(error);
    }
  }
  options.onFailure(event, reason);
  return false;
}
