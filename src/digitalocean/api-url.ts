import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';

export const DEFAULT_API_URL = 'https://api.digitalocean.com';
export const API_URL_VARIABLE = 'ARCADIA_API_URL';

/** localhost, 127.0.0.0/8 and ::1: the only hosts a bearer token may travel to unencrypted. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/**
 * The API base URL, checked before anything connects: https for any host, http only for loopback (the simulator),
 * since the token travels in every request's headers.
 */
export function validateApiUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not echoed: a value that is not a URL may be a token pasted into the wrong line.
    throw new ConfigError(
      `${API_URL_VARIABLE} is not a URL (expected e.g. https://api.digitalocean.com)`,
      API_URL_VARIABLE,
    );
  }
  if (url.username || url.password) {
    throw new ConfigError(`${API_URL_VARIABLE} must not carry credentials; use the token variables`, API_URL_VARIABLE);
  }
  if (url.search || url.hash) {
    throw new ConfigError(
      `${API_URL_VARIABLE} must be a base URL without query or fragment, got ${url.origin}${url.pathname}…`,
      API_URL_VARIABLE,
    );
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return url;
    throw new ConfigError(
      `${API_URL_VARIABLE} may use http:// only for a loopback host (localhost, 127.0.0.1, [::1]); use ` +
        `https:// for ${url.host}`,
      API_URL_VARIABLE,
    );
  }
  throw new ConfigError(
    `${API_URL_VARIABLE} must be an https:// URL (or http:// on loopback), got scheme ${url.protocol}`,
    API_URL_VARIABLE,
  );
}
