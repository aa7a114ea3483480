import { describe, expect, it } from 'vitest';
import { MalformedResponseError } from '../../src/digitalocean/errors.js';
import { collectPages, nextPageNumber } from '../../src/digitalocean/pagination.js';
import { clientFor, failure, requestsTo, simulator } from './helpers.js';

describe('nextPageNumber', () => {
  it('ends the list when there is no links.pages.next, in every shape DigitalOcean sends', () => {
    for (const links of [
      undefined,
      {},
      { pages: {} },
      {
        pages: {
          first: 'https://api.digitalocean.com/v2/droplets?page=1',
          prev: 'https://api.digitalocean.com/v2/droplets?page=2',
        },
      },
    ]) {
      expect(nextPageNumber(links)).toBeUndefined();
    }
  });

  it('reads only the page number from the absolute next URL', () => {
    expect(nextPageNumber({ pages: { next: 'https://evil.example/v2/droplets?page=3&per_page=200' } })).toBe(3);
    expect(nextPageNumber({ pages: { next: 'https://api.digitalocean.com/v2/droplets?per_page=200' } })).toEqual({
      malformed: expect.stringContaining('no page number'),
    });
  });

  it('refuses a next link that does not move forward instead of looping', async () => {
    const pages = collectPages(
      async () => ({ items: [1], links: { pages: { next: 'https://api.digitalocean.com/v2/x?page=1' } } }),
      (message) => new Error(message),
    );
    await expect(pages).rejects.toThrow('goes back from page 1 to page 1');
  });

  it("turns a next link without a page number into the caller's error", async () => {
    const error = await failure(
      collectPages(
        async () => ({ items: [], links: { pages: { next: 'https://api.digitalocean.com/v2/droplets' } } }),
        (message) =>
          new MalformedResponseError({ method: 'GET', path: '/v2/droplets', status: 200, providerMessage: message }),
      ),
    );
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error.message).toContain('links.pages.next has no page number');
  });
});

describe('client pagination against the simulator', () => {
  it('collects 450 tagged droplets in 3 pages of 200 without following the absolute URLs', async () => {
    // links point at a port nothing listens on: following them would fail the test
    const sim = await simulator({
      fleet: [
        { count: 450, tag: 'env:prod', firstId: 1000 },
        { count: 5, tag: 'env:dev', firstId: 5000 },
      ],
      linkBaseUrl: 'http://127.0.0.1:1',
    });
    const droplets = await clientFor(sim).listDroplets({ tagName: 'env:prod' });
    expect(droplets).toHaveLength(450);
    expect(new Set(droplets.map((d) => d.id)).size).toBe(450);
    expect(droplets.every((d) => d.tags.includes('env:prod'))).toBe(true);
    const requests = requestsTo(sim, 'GET', '/v2/droplets');
    expect(requests.map((r) => r.query)).toEqual(
      [1, 2, 3].map((page) => ({ tag_name: 'env:prod', page: String(page), per_page: '200' })),
    );
  });

  it('collects every page of droplet snapshots and account snapshots', async () => {
    const snapshots = Array.from({ length: 205 }, (_, i) => ({ name: `old-${i}`, id: 10_000 + i }));
    const sim = await simulator({ droplets: [{ id: 7, snapshots, backups: [{ name: 'weekly', id: 9999 }] }] });
    const client = clientFor(sim);
    expect(await client.listDropletSnapshots(7)).toHaveLength(206);
    const all = await client.listSnapshots({ resourceType: 'droplet' });
    expect(all).toHaveLength(205);
    expect(all.every((s) => typeof s.id === 'string' && s.resource_id === '7')).toBe(true);
  });
});
