import { describe, expect, it } from 'vitest';
import {
  checkAction,
  checkDroplet,
  checkDropletSnapshot,
  checkLinks,
  checkSnapshot,
} from '../../src/digitalocean/reply-validation.js';

const droplet = { id: 101, name: 'web-1', disk: 25, locked: false, status: 'active', tags: ['web'] };
const action = {
  id: 7,
  status: 'in-progress',
  type: 'snapshot',
  started_at: '2026-03-01T12:00:00Z',
  completed_at: null,
  resource_id: 101,
};
const dropletSnapshot = {
  id: 150,
  name: 'n',
  created_at: '2026-03-01T12:00:00Z',
  size_gigabytes: 1.5,
  type: 'snapshot',
};
const snapshot = {
  id: '150',
  name: 'n',
  created_at: '2026-03-01T12:00:00Z',
  size_gigabytes: 1,
  resource_id: '101',
  resource_type: 'droplet',
};
const volumeSnapshot = {
  ...snapshot,
  id: '8f3e0b6c-1f2a-4b5c-9d8e-7a6b5c4d3e2f',
  resource_id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
  resource_type: 'volume',
};

describe('reply shapes', () => {
  it('accepts what DigitalOcean documents', () => {
    expect(checkDroplet(droplet, 'droplet')).toBeUndefined();
    expect(checkAction(action, 'action')).toBeUndefined();
    expect(
      checkAction({ ...action, status: 'pending' }, 'action'),
      "an unknown status is the waiter's business",
    ).toBeUndefined();
    expect(checkDropletSnapshot(dropletSnapshot, 's')).toBeUndefined();
    expect(checkSnapshot(snapshot, 's')).toBeUndefined();
    expect(checkSnapshot(volumeSnapshot, 's')).toBeUndefined();
    for (const links of [
      undefined,
      {},
      { pages: {} },
      { pages: { next: 'https://x/?page=2', last: 'https://x/?page=9' } },
    ])
      expect(checkLinks(links, 'links')).toBeUndefined();
  });

  it.each([
    ['a hex string id', { ...droplet, id: '0x65' }, 'droplet.id is "0x65", not a positive whole number'],
    ['a digit string id', { ...droplet, id: '101' }, 'droplet.id is "101", not a positive whole number'],
    ['a fractional id', { ...droplet, id: 101.5 }, 'droplet.id is 101.5'],
    ['an unsafe integer id', { ...droplet, id: 2 ** 60 }, 'not a positive whole number'],
    ['a zero id', { ...droplet, id: 0 }, 'droplet.id is 0'],
    ['a string disk', { ...droplet, disk: '25' }, 'droplet.disk is "25", not a number'],
    ['a string locked', { ...droplet, locked: 'false' }, 'droplet.locked is "false", not true or false'],
    ['tags not strings', { ...droplet, tags: [1] }, 'droplet.tags is [1], not an array of strings'],
  ])('refuses a droplet with %s', (_, value, message) => {
    expect(checkDroplet(value, 'droplet')).toContain(message);
  });

  it('refuses actions, snapshots and links of the wrong types or with strange ids', () => {
    expect(checkAction({ ...action, id: '7' }, 'action')).toContain('action.id is "7"');
    expect(checkAction({ ...action, status: 3 }, 'action')).toContain('action.status is 3, not a string');
    expect(checkAction({ ...action, resource_id: '101' }, 'action')).toContain('or null');
    expect(checkDropletSnapshot({ ...dropletSnapshot, id: '150\u001b[2J' }, 's')).toContain('s.id is "150\\u001b[2J"');
    expect(checkSnapshot({ ...snapshot, id: '150\u001b]0;x\u0007' }, 's')).toContain('not a string of digits');
    expect(checkSnapshot({ ...snapshot, id: '0150' }, 's')).toContain('not a string of digits');
    expect(checkSnapshot({ ...snapshot, resource_id: '0x65' }, 's')).toContain('s.resource_id is "0x65"');
    expect(checkSnapshot({ ...volumeSnapshot, id: '150' }, 's')).toContain('not a UUID');
    expect(checkSnapshot({ ...snapshot, resource_type: 'kubernetes' }, 's')).toContain('not "droplet" or "volume"');
    expect(checkLinks({ pages: { next: 5 } }, 'links')).toBe('links.pages.next is 5, not a string');
    expect(checkLinks({ pages: 'x' }, 'links')).toContain('links.pages is "x", not an object');
    expect(checkLinks([], 'links')).toContain('not an object');
  });
});
