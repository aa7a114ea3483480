import { afterEach, describe, expect, it } from 'vitest';
import { createDigitalOceanClient, type DigitalOceanClientOptions } from '../../src/digitalocean/client.js';
import {
  MalformedResponseError,
  OutcomeUnknownError,
  OversizedPageError,
  ReplyTooLargeError,
  TooManyPagesError,
} from '../../src/digitalocean/errors.js';
import { clientOptionsFromEnv } from '../../src/digitalocean/options.js';
import { collectPages } from '../../src/digitalocean/pagination.js';
import { startHostileApi, type HostileApi, type HostileHandler } from '../security/hostile-api.js';
import { failure } from './helpers.js';

const TOKEN = 'dop_v1_bounds-test-token-0123456789abcdef';
const apis: HostileApi[] = [];

afterEach(async () => {
  await Promise.all(apis.splice(0).map((api) => api.close()));
});

async function clientFor(handler: HostileHandler, options: Partial<DigitalOceanClientOptions> = {}) {
  const api = await startHostileApi(handler);
  apis.push(api);
  const client = createDigitalOceanClient({
    apiUrl: api.url,
    provisioningToken: TOKEN,
    retries: 0,
    sleep: async () => undefined,
    ...options,
  });
  return { api, client };
}

const droplet = (id: number) => ({ id, name: `d${id}`, disk: 25, locked: false, status: 'active', tags: [] });

describe('reply bounds', () => {
  it('a body over the cap: ReplyTooLargeError, whether content-length says so or the stream goes on', async () => {
    const big = JSON.stringify({ droplet: { ...droplet(1), name: 'x'.repeat(10_000) } });
    const declared = await clientFor(() => ({ status: 200, body: big }), { maxReplyBytes: 4096 });
    const error = await failure(declared.client.getDroplet(1));
    expect(error).toBeInstanceOf(ReplyTooLargeError);
    expect(error).toMatchObject({ limitBytes: 4096, status: 200, path: '/v2/droplets/1' });
    expect(error.message).toContain('larger than 4096 bytes');

    const endless = await clientFor(() => ({ endless: 'x'.repeat(4096) }), { maxReplyBytes: 64 * 1024 });
    expect(await failure(endless.client.listDroplets())).toBeInstanceOf(ReplyTooLargeError);
    expect(endless.api.bytesSent()).toBeLessThan(32 * 1024 * 1024);
  });

  it('a POST reply over the cap: the outcome is unknown (the action may exist), never a plain failure', async () => {
    const { client } = await clientFor(() => ({ endless: 'x'.repeat(4096) }), { maxReplyBytes: 8192 });
    const error = await failure(client.postDropletAction(1, { type: 'snapshot', name: 'n' }));
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(error.message).toContain('larger than 8192 bytes');
  });

  it('a body within the cap is read whole, in any number of chunks', async () => {
    const { client } = await clientFor(
      () => ({ status: 200, body: { droplet: { ...droplet(1), name: 'é'.repeat(3000) } } }),
      { maxReplyBytes: 16 * 1024 },
    );
    expect((await client.getDroplet(1)).name).toBe('é'.repeat(3000));
  });

  it('a page with more items than per_page asked for: OversizedPageError with the counts', async () => {
    const { client } = await clientFor(() => ({
      status: 200,
      body: { droplets: Array.from({ length: 201 }, (_, i) => droplet(i + 1)), links: {} },
    }));
    const error = await failure(client.listDroplets());
    expect(error).toBeInstanceOf(OversizedPageError);
    expect(error).toMatchObject({ page: 1, items: 201, perPage: 200 });
  });

  it('pages past maxPages: TooManyPagesError, after exactly maxPages requests', async () => {
    const { api, client } = await clientFor(
      (request) => ({
        status: 200,
        body: {
          droplets: [droplet(Number(request.query.get('page')))],
          links: { pages: { next: `https://x/v2/droplets?page=${Number(request.query.get('page')) + 1}` } },
        },
      }),
      { maxPages: 3 },
    );
    const error = await failure(client.listDroplets());
    expect(error).toBeInstanceOf(TooManyPagesError);
    expect(error).toMatchObject({ maxPages: 3 });
    expect(api.requests).toHaveLength(3);
  });

  it('a non-string links.pages.next and a string droplet id are MalformedResponseError, not a crash', async () => {
    const next = await clientFor(() => ({
      status: 200,
      body: { droplets: [droplet(1)], links: { pages: { next: { href: 2 } } } },
    }));
    const error = await failure(next.client.listDroplets());
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error.message).toContain('links.pages.next is {"href":2}, not a string');
    const hex = await clientFor(() => ({ status: 200, body: { droplets: [{ ...droplet(1), id: '0x65' }] } }));
    expect((await failure(hex.client.listDroplets())).message).toContain(
      'droplets[0].id is "0x65", not a positive whole number',
    );
  });

  it('collectPages itself survives a next link that is not a string', async () => {
    const links = { pages: { next: 7 as unknown as string } };
    await expect(
      collectPages(
        async () => ({ items: [1], links }),
        (message) => new Error(message),
      ),
    ).rejects.toThrow('links.pages.next is a number, not a URL');
  });

  it('ARCADIA_MAX_PAGES and ARCADIA_MAX_REPLY_BYTES configure the bounds, and are checked', () => {
    expect(clientOptionsFromEnv({ ARCADIA_MAX_PAGES: '5', ARCADIA_MAX_REPLY_BYTES: '2048' })).toMatchObject({
      maxPages: 5,
      maxReplyBytes: 2048,
    });
    expect(clientOptionsFromEnv({})).toMatchObject({ maxPages: 250, maxReplyBytes: 16 * 1024 * 1024 });
    expect(() => clientOptionsFromEnv({ ARCADIA_MAX_PAGES: '0' })).toThrow(/ARCADIA_MAX_PAGES/);
    expect(() => clientOptionsFromEnv({ ARCADIA_MAX_REPLY_BYTES: '10' })).toThrow(/ARCADIA_MAX_REPLY_BYTES/);
  });
});
