import { describe, expect, it } from 'vitest';
import { loadSettings } from '../src/config.js';
import { HostIdError, hostIdFromEnv } from '../src/host-id.js';

describe('the host id', () => {
  it('is ARCADIA_HOST_ID when set, else the machine name', () => {
    expect(hostIdFromEnv({ ARCADIA_HOST_ID: 'bastion-a.eu_1' }, () => 'ignored')).toBe('bastion-a.eu_1');
    expect(hostIdFromEnv({}, () => 'cron-7')).toBe('cron-7');
    expect(hostIdFromEnv({ ARCADIA_HOST_ID: '' }, () => 'cron-7')).toBe('cron-7');
    expect(loadSettings({ ARCADIA_HOST_ID: 'b2' }).hostId).toBe('b2');
  });

  it.each(['-leading-dash', '.hidden', 'with space', 'new\nline', 'semi;colon', 'quote"', 'é', 'h'.repeat(65)])(
    'refuses %j, naming the variable',
    (hostId) => {
      expect(() => hostIdFromEnv({ ARCADIA_HOST_ID: hostId })).toThrow(HostIdError);
      expect(() => hostIdFromEnv({ ARCADIA_HOST_ID: hostId })).toThrow(/ARCADIA_HOST_ID/);
    },
  );

  it('refuses an unusable hostname with advice to set ARCADIA_HOST_ID', () => {
    expect(() => hostIdFromEnv({}, () => 'bad host')).toThrow(/hostname "bad host" is not usable.*set ARCADIA_HOST_ID/);
    expect(hostIdFromEnv({}, () => 'h'.repeat(64))).toHaveLength(64);
  });
});
