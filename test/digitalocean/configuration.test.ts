import { afterEach, describe, expect, it, vi } from 'vitest';
import { isLoopbackHost, validateApiUrl } from '../../src/digitalocean/api-url.js';
import { clientOptionsFromEnv, createDigitalOceanClient } from '../../src/digitalocean/client.js';
import { ConfigError } from '../../src/errors.js';

describe('validateApiUrl', () => {
  it('accepts https for any host', () => {
    expect(validateApiUrl('https://api.digitalocean.com').href).toBe('https://api.digitalocean.com/');
    expect(validateApiUrl('https://proxy.internal:8443/do').host).toBe('proxy.internal:8443');
  });

  it('accepts http only for loopback hosts', () => {
    for (const url of [
      'http://127.0.0.1:8080',
      'http://localhost:3000',
      'http://127.5.6.7',
      'http://[::1]:9000',
      'http://LOCALHOST',
    ]) {
      expect(validateApiUrl(url)).toBeInstanceOf(URL);
    }
    for (const url of [
      'http://api.digitalocean.com',
      'http://10.0.0.1',
      'http://128.0.0.1',
      'http://localhost.evil.com',
      'http://[::2]',
      'http://0.0.0.0',
    ]) {
      const error = (() => {
        try {
          validateApiUrl(url);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, url).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe('ARCADIA_API_URL');
    }
  });

  it('refuses other schemes, garbage and embedded credentials', () => {
    for (const url of [
      'ftp://127.0.0.1',
      'file:///etc/passwd',
      'not a url',
      '',
      'https://user:pass@api.digitalocean.com',
      'https://api.digitalocean.com/?x=1',
    ]) {
      expect(() => validateApiUrl(url), url).toThrow(ConfigError);
    }
  });

  it('recognises loopback hosts', () => {
    expect(['localhost', '127.0.0.1', '127.255.0.1', '[::1]', '::1'].every(isLoopbackHost)).toBe(true);
    expect(['example.com', '192.168.1.1', '::ffff:10.0.0.1'].some(isLoopbackHost)).toBe(false);
  });
});

describe('createDigitalOceanClient', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('refuses a plain-http remote URL before any connection can be attempted', () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    expect(() =>
      createDigitalOceanClient({ apiUrl: 'http://api.digitalocean.com', provisioningToken: 'secret' }),
    ).toThrow(/http:\/\/ only for a loopback host/);
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});

describe('clientOptionsFromEnv', () => {
  it('defaults', () => {
    expect(clientOptionsFromEnv({})).toMatchObject({
      apiUrl: 'https://api.digitalocean.com',
      provisioningToken: undefined,
      readToken: undefined,
      retries: 5,
      retryBaseMs: 1000,
      retryMaxMs: 30_000,
      timeoutMs: 30_000,
      requestsPerMinute: 250,
      userAgent: expect.stringMatching(/^arcadia\/\d/),
    });
  });

  it('falls back from the purpose tokens to DIGITALOCEAN_ACCESS_TOKEN, and reads to the provisioning token', () => {
    expect(clientOptionsFromEnv({ DIGITALOCEAN_ACCESS_TOKEN: 'a' })).toMatchObject({
      provisioningToken: 'a',
      readToken: 'a',
      tokenVariables: { provisioning: 'DIGITALOCEAN_ACCESS_TOKEN', read: 'DIGITALOCEAN_ACCESS_TOKEN' },
    });
    expect(
      clientOptionsFromEnv({
        DIGITALOCEAN_ACCESS_TOKEN: 'a',
        ARCADIA_PROVISIONING_TOKEN: 'p',
        ARCADIA_READ_TOKEN: 'r',
      }),
    ).toMatchObject({
      provisioningToken: 'p',
      readToken: 'r',
      tokenVariables: { provisioning: 'ARCADIA_PROVISIONING_TOKEN', read: 'ARCADIA_READ_TOKEN' },
    });
    expect(clientOptionsFromEnv({ ARCADIA_PROVISIONING_TOKEN: 'p', ARCADIA_READ_TOKEN: '' })).toMatchObject({
      provisioningToken: 'p',
      readToken: 'p',
      tokenVariables: { read: 'ARCADIA_PROVISIONING_TOKEN' },
    });
  });

  it('reads the numeric settings', () => {
    const env = {
      ARCADIA_API_URL: 'http://127.0.0.1:9',
      ARCADIA_HTTP_RETRIES: '0',
      ARCADIA_RETRY_BASE_MS: '50',
      ARCADIA_HTTP_TIMEOUT_MS: '2500',
      ARCADIA_RATE_LIMIT_PER_MINUTE: '60',
    };
    expect(clientOptionsFromEnv(env)).toMatchObject({
      apiUrl: 'http://127.0.0.1:9',
      retries: 0,
      retryBaseMs: 50,
      timeoutMs: 2500,
      requestsPerMinute: 60,
    });
  });

  it('a malformed number is a ConfigError naming the variable', () => {
    for (const [name, value] of [
      ['ARCADIA_HTTP_RETRIES', 'five'],
      ['ARCADIA_RETRY_BASE_MS', '-1'],
      ['ARCADIA_HTTP_TIMEOUT_MS', '0'],
      ['ARCADIA_HTTP_TIMEOUT_MS', '1.5'],
      ['ARCADIA_RATE_LIMIT_PER_MINUTE', '1e3'],
    ] as const) {
      let caught: unknown;
      try {
        clientOptionsFromEnv({ [name]: value });
      } catch (error) {
        caught = error;
      }
      expect(caught, `${name}=${value}`).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).variable).toBe(name);
      expect((caught as ConfigError).message).toContain(name);
    }
  });

  it('never puts a token into an error', () => {
    try {
      clientOptionsFromEnv({ DIGITALOCEAN_ACCESS_TOKEN: 'dop_v1_secret', ARCADIA_HTTP_RETRIES: 'x' });
    } catch (error) {
      expect(String(error)).not.toContain('dop_v1_secret');
    }
  });
});
