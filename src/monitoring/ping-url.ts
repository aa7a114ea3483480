import { isLoopbackHost } from '../digitalocean/api-url.js';
import { ConfigError } from '../errors.js';

export const PING_URL_VARIABLE = 'ARCADIA_PING_URL';

/** Where the URL came from, named in errors: the flag or the variable. */
export type PingUrlSource = '--ping' | typeof PING_URL_VARIABLE;

/** A ping URL that is not https (or http on loopback), carries credentials, or is not a URL. */
export class PingUrlError extends ConfigError {
  constructor(
    message: string,
    readonly source: PingUrlSource,
  ) {
    super(message, source === PING_URL_VARIABLE ? PING_URL_VARIABLE : undefined);
  }
}

/**
 * Checked as ARCADIA_API_URL is, before anything runs: the ping's path is its secret (a healthchecks UUID), so it
 * travels encrypted except to a loopback host. A query is refused: arcadia adds its own `rid`.
 */
export function validatePingUrl(raw: string, source: PingUrlSource): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not echoed: the value may be a secret pasted into the wrong place.
    throw new PingUrlError(`${source} is not a URL (expected e.g. https://hc-ping.com/<uuid>)`, source);
  }
  if (url.username || url.password) throw new PingUrlError(`${source} must not carry credentials`, source);
  if (url.search || url.hash) throw new PingUrlError(`${source} must have no query or fragment`, source);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  if (url.protocol === 'http:') {
    throw new PingUrlError(`${source} may use http:// only for a loopback host; use https:// for ${url.host}`, source);
  }
  throw new PingUrlError(`${source} must be an https:// URL (or http:// on loopback), got ${url.protocol}`, source);
}
