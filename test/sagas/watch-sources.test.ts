import { describe, expect, it } from 'vitest';
import { byId, fleetExpectedMs, namingSource, statusSource } from '../../src/sagas/snapshot/watch-sources.js';

describe('the watcher picks the cheapest source', () => {
  it('one GET per action while that costs no more than the listing pages, else the pages with one to spare', () => {
    expect(statusSource(1, 1)).toEqual({ kind: 'single' });
    expect(statusSource(2, 1)).toEqual({ kind: 'listing', pages: 2 });
    expect(statusSource(3, 500)).toEqual({ kind: 'single' }); // 500 watched: 3 pages; 3 GETs cost the same
    expect(statusSource(4, 500)).toEqual({ kind: 'listing', pages: 4 });
  });

  it("the droplets' own snapshot listings up to the account listing's measured pages, else one pass", () => {
    expect(namingSource(1, undefined)).toBe('droplet');
    expect(namingSource(2, undefined)).toBe('droplet');
    expect(namingSource(3, undefined)).toBe('account');
    expect(namingSource(5, 5)).toBe('droplet');
    expect(namingSource(6, 5)).toBe('account');
  });
});

describe('listing helpers', () => {
  it('key objects by id, so one listed on two pages counts once (ids compared as strings)', () => {
    const merged = byId([
      { id: 1, v: 'a' },
      { id: '1', v: 'b' },
      { id: 2, v: 'c' },
    ]);
    expect([...merged.keys()]).toEqual(['1', '2']);
    expect(merged.get('1')?.v).toBe('b');
  });

  it("time a droplet without history by the median of the fleet's completions so far", () => {
    expect(fleetExpectedMs([])).toBeUndefined();
    expect(fleetExpectedMs([100, 0, Number.NaN])).toBe(100);
    expect(fleetExpectedMs([300, 100, 200, 10_000])).toBe(300);
  });
});
