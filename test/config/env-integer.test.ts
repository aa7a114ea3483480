import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config.js';
import { clientOptionsFromEnv } from '../../src/digitalocean/options.js';
import { integerFromEnv } from '../../src/env-integer.js';
import { ConfigError } from '../../src/errors.js';

describe('integer environment variables', () => {
  it('take the fallback when unset or blank, and accept plain digits with blanks around them', () => {
    expect(integerFromEnv({}, 'X', 7, 0)).toBe(7);
    expect(integerFromEnv({ X: '  ' }, 'X', 7, 0)).toBe(7);
    expect(integerFromEnv({ X: ' 42 ' }, 'X', 7, 0)).toBe(42);
  });

  const malformed = ['abc', '2.5', '-1', '1e3', '0x10', '99999999999999999999'];
  it.each(malformed)('refuse "%s" with the one message format', (raw) => {
    const expected = new ConfigError(`X must be a whole number of at least 0, got "${raw}"`, 'X');
    expect(() => integerFromEnv({ X: raw }, 'X', 7, 0)).toThrow(expected);
  });

  it('say the range when there is an upper bound, and cut what they quote', () => {
    expect(() => integerFromEnv({ X: '11' }, 'X', 1, 1, 10)).toThrow('X must be a whole number from 1 to 10, got "11"');
    expect(() => integerFromEnv({ X: 'y'.repeat(100) }, 'X', 1, 1)).toThrow(`got "${'y'.repeat(40)}"`);
  });

  it('are parsed the same way by the settings and by the client options', () => {
    const settingsError = (() => {
      try {
        loadSettings({ ARCADIA_STEP_ATTEMPTS: ' 2.5' });
      } catch (error) {
        return (error as Error).message;
      }
    })();
    const clientError = (() => {
      try {
        clientOptionsFromEnv({ ARCADIA_HTTP_RETRIES: ' 2.5' });
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(settingsError).toBe('ARCADIA_STEP_ATTEMPTS must be a whole number of at least 1, got " 2.5"');
    expect(clientError).toBe('ARCADIA_HTTP_RETRIES must be a whole number of at least 0, got " 2.5"');
    expect(loadSettings({ ARCADIA_STEP_ATTEMPTS: ' 4 ' }).stepRetryAttempts).toBe(4);
    expect(clientOptionsFromEnv({ ARCADIA_HTTP_RETRIES: ' 4 ' }).retries).toBe(4);
  });
});

describe('lease settings', () => {
  it('default the heartbeat to a third of the stale time', () => {
    expect(loadSettings({ ARCADIA_LOCK_STALE_MS: '900' })).toMatchObject({ lockStaleMs: 900, heartbeatMs: 300 });
  });

  it('refuse a heartbeat above a third of the stale time, naming both variables', () => {
    expect(() => loadSettings({ ARCADIA_LOCK_STALE_MS: '900', ARCADIA_HEARTBEAT_MS: '301' })).toThrow(
      /ARCADIA_HEARTBEAT_MS \(301\) must be at most 1\/3 of ARCADIA_LOCK_STALE_MS \(900\)/,
    );
    expect(loadSettings({ ARCADIA_LOCK_STALE_MS: '900', ARCADIA_HEARTBEAT_MS: '300' }).heartbeatMs).toBe(300);
  });
});
