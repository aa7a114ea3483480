import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SIMULATOR_TOKEN } from '../../src/simulator/index.js';
import { FAST_SIMULATOR, readSagas, sandbox, type Sandbox } from '../e2e/harness.js';
import { runArcadia, type ArcadiaResult } from '../helpers/arcadia.js';
import { startHostileApi, tokenFragments, type HostileApi, type HostileHandler } from './hostile-api.js';
import { NO_EGRESS, filesUnder } from './util.js';

/**
 * The built CLI against a DigitalOcean stand-in that lies: it echoes the token in every field it can, puts escape
 * sequences in strings and ids, sends wrong types, unknown statuses, redirects, endless pages and bodies. Whatever it
 * sends, arcadia ends with a clear one-line error and the right exit code, and nothing of the token or of the escapes
 * reaches a terminal, `--json` or the ledger.
 */

const TOKEN = `dop_v1_${randomBytes(32).toString('hex')}`;
/** Pieces this long count as a leak (the redaction's own bar is the same: MIN_TOKEN_FRAGMENT). */
const FRAGMENTS = tokenFragments(TOKEN, 12);

/** What a terminal obeys: C0 but the newline, DEL, C1, and bidi or invisible format controls. */

const TERMINAL_UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
/** What JSON.stringify would leave raw in --json output: C1 and bidi controls. */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

/** Every trick at once: a screen clear, an OSC title change, a one-byte C1 CSI, a bidi override, a faked line. */
const ESCAPES = '\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202eexe.txt\u2066\r\nFAKE: all snapshots deleted';

let box: Sandbox | undefined;
const apis: HostileApi[] = [];

afterEach(async () => {
  await Promise.all(apis.splice(0).map((api) => api.close()));
  await box?.cleanup();
  box = undefined;
});

interface Setup {
  api: HostileApi;
  run: (args: string[], extraEnv?: NodeJS.ProcessEnv) => Promise<ArcadiaResult>;
  home: string;
}

/** A simulator behind a hostile API: `handler` answers or tampers; arcadia holds TOKEN, which only the proxy sees. */
async function hostile(handler: HostileHandler, env: NodeJS.ProcessEnv = {}): Promise<Setup> {
  box = await sandbox(FAST_SIMULATOR);
  const api = await startHostileApi(handler, { url: box.sim.url, token: DEFAULT_SIMULATOR_TOKEN });
  apis.push(api);
  const home = box.home;
  const base: NodeJS.ProcessEnv = {
    ...box.env,
    ...NO_EGRESS,
    ARCADIA_API_URL: api.url,
    DIGITALOCEAN_ACCESS_TOKEN: TOKEN,
    ARCADIA_HTTP_RETRIES: '1',
    ARCADIA_STEP_ATTEMPTS: '1',
    ARCADIA_LOOKUP_ATTEMPTS: '5',
    ...env,
  };
  return {
    api,
    home,
    run: (args, extraEnv = {}) => runArcadia(args, { home, env: { ...base, ...extraEnv }, timeoutMs: 30_000 }),
  };
}

function leaks(text: string | Buffer): string[] {
  const buffer = typeof text === 'string' ? Buffer.from(text) : text;
  return FRAGMENTS.filter((fragment) => buffer.includes(fragment));
}

/** No token fragment in the run's output or in any file of the home (ledger, WAL, locks). */
function expectNoToken(run: ArcadiaResult, home: string, what: string): void {
  expect(leaks(run.stdout), `${what}: token in stdout:\n${run.stdout}`).toEqual([]);
  expect(leaks(run.stderr), `${what}: token in stderr:\n${run.stderr}`).toEqual([]);
  for (const file of filesUnder(home)) expect(leaks(file.bytes), `${what}: token in ${file.path}`).toEqual([]);
}

/** Human output: nothing a terminal would obey. */
function expectInert(run: ArcadiaResult, what: string): void {
  expect(run.stdout, `${what}: stdout`).not.toMatch(TERMINAL_UNSAFE);
  expect(run.stderr, `${what}: stderr`).not.toMatch(TERMINAL_UNSAFE);
  expect(run.timedOut, `${what}: timed out`).toBe(false);
}

/** `--json`: one JSON document on stdout, C1 and bidi escaped, nothing on stderr. */
function jsonOf(run: ArcadiaResult, what: string): unknown {
  expect(run.stdout, `${what}: raw C1 or bidi in --json`).not.toMatch(JSON_UNSAFE);
  expect(run.stderr, `${what}: stderr in --json mode`).toBe('');
  try {
    return JSON.parse(run.stdout) as unknown;
  } catch {
    throw new Error(`${what}: stdout is not JSON (exit ${run.code}):\n${run.stdout}`);
  }
}

/** A refusal before any saga: one `error:` line on stderr naming the provider, nothing on stdout. */
function expectOneProviderError(run: ArcadiaResult, what: string, pattern: RegExp): void {
  const errorLines = run.stderr.split('\n').filter((line) => line.trim() !== '');
  expect(errorLines, `${what}: one error line:\n${run.stderr}`).toHaveLength(1);
  expect(errorLines[0], what).toMatch(/^error: DigitalOcean /);
  expect(errorLines[0], what).toMatch(pattern);
  expect(run.stdout, `${what}: stdout`).toBe('');
}

function jsonError(run: ArcadiaResult, what: string): { code: string; message: string } {
  const parsed = jsonOf(run, what) as { error?: { code: string; message: string } };
  expect(parsed.error, `${what}: an error object`).toBeDefined();
  return parsed.error ?? { code: '', message: '' };
}

const isTagListing = (path: string, query: URLSearchParams): boolean =>
  path === '/v2/droplets' && query.has('tag_name');

describe('a server that echoes the token', () => {
  it('in an error body (id, a message cut mid-token, request_id) and x-request-id: never shown or kept', async () => {
    const { run, home } = await hostile(async (request, upstream) => {
      if (request.method === 'POST') {
        return {
          status: 422,
          headers: { 'x-request-id': TOKEN },
          body: {
            id: `unprocessable_${TOKEN}`,
            message: `${'x'.repeat(250)} ${TOKEN} (Bearer ${TOKEN})`,
            request_id: TOKEN,
          },
        };
      }
      // every success reply echoes it too: a header, an unknown field, a link
      const reply = await upstream();
      const json = typeof reply.json === 'object' && reply.json !== null ? { ...reply.json, echo: TOKEN } : reply.json;
      return { status: reply.status, headers: { ...reply.headers, 'x-request-id': TOKEN }, body: json };
    });
    const plain = await run(['snapshot', '1001']);
    expect(plain.code, plain.stderr).toBe(1);
    expect(plain.stdout).toMatch(
      /rolled_back - create_droplet_snapshot: DigitalOcean 422 unprocessable_\[redacted\]: x+ \[redacted\]/,
    );
    const json = await run(['snapshot', '1001', '--json']);
    expect(json.code).toBe(1);
    expect(jsonOf(json, 'snapshot --json')).toMatchObject([
      { dropletId: 1001, status: 'rolled_back', error: expect.stringContaining('[redacted]') },
    ]);
    const sagaId = readSagas(home)[0]?.id ?? '';
    const shown = await run(['saga', 'show', sagaId]);
    const shownJson = await run(['saga', 'show', sagaId, '--json']);
    const listed = await run(['saga', 'list', '--json']);
    expect(shown.stdout).toContain('[redacted]');
    for (const [what, result] of Object.entries({ plain, json, shown, shownJson, listed })) {
      expectNoToken(result, home, what);
      if (!what.endsWith('json') && what !== 'listed') expectInert(result, what);
    }
  });

  it('in links.pages.next (snapshot --tag) and in a non-JSON 500 page (reconcile): never shown or kept', async () => {
    const { run, home } = await hostile(async (request, upstream) => {
      if (isTagListing(request.path, request.query)) {
        const reply = await upstream();
        return {
          status: 200,
          body: {
            ...(reply.json as object),
            links: { pages: { next: `https://evil.invalid/v2/droplets?token=${TOKEN}` } },
          },
        };
      }
      if (request.path === '/v2/snapshots')
        return {
          status: 500,
          headers: { 'content-type': 'text/html' },
          body: `<h1>oops</h1><pre>Authorization: Bearer ${TOKEN}</pre>`,
        };
      return undefined;
    });
    const tagged = await run(['snapshot', '--tag', 'web']);
    expect(tagged.code).toBe(1);
    expectOneProviderError(
      tagged,
      'snapshot --tag',
      /links\.pages\.next has no page number: https:\/\/evil\.invalid\/v2\/droplets\?token=\[redacted\]/,
    );
    const reconcile = await run(['reconcile']);
    expect(reconcile.code).toBe(1);
    expectOneProviderError(reconcile, 'reconcile', /^error: DigitalOcean 500: .*Bearer \[redacted\]/);
    for (const [what, result] of Object.entries({ tagged, reconcile })) {
      expectNoToken(result, home, what);
      expectInert(result, what);
    }
  });
});

describe('escape sequences from the API', () => {
  it('in a provider message: neutralised in human output and saga show, escaped (and kept) in --json', async () => {
    const { run, home } = await hostile((request) => {
      if (request.method === 'POST')
        return { status: 422, body: { id: 'unprocessable_entity', message: `Droplet busy ${ESCAPES}` } };
      return undefined;
    });
    const plain = await run(['snapshot', '1001']);
    expect(plain.code).toBe(1);
    expectInert(plain, 'snapshot');
    expect(plain.stdout.trim().split('\n'), 'one result line').toHaveLength(1);
    const json = await run(['snapshot', '1001', '--json']);
    const [entry] = jsonOf(json, 'snapshot --json') as { error: string }[];
    expect(entry?.error).toContain('\u202eexe.txt');
    expect(entry?.error).toContain('\u009b31m');
    const sagaId = readSagas(home)[0]?.id ?? '';
    const shown = await run(['saga', 'show', sagaId]);
    expectInert(shown, 'saga show');
    expect(shown.stdout).not.toMatch(/^FAKE/m);
    jsonOf(await run(['saga', 'show', sagaId, '--json']), 'saga show --json');
    jsonOf(await run(['saga', 'list', '--json']), 'saga list --json');
  });

  it('in ids: a droplet id in a tag listing, a snapshot id in reconcile: refused as provider errors', async () => {
    const { api, run } = await hostile(async (request, upstream) => {
      if (isTagListing(request.path, request.query))
        return { status: 200, body: { droplets: [{ ...droplet(1001), id: `1001${ESCAPES}` }], links: {} } };
      if (request.path === '/v2/snapshots') {
        const snapshot = {
          id: `150000001${ESCAPES}`,
          name: 'arcadia-snap-1001-deadbeef',
          created_at: '2026-03-01T12:00:00Z',
          regions: ['nyc3'],
          min_disk_size: 25,
          size_gigabytes: 1,
          resource_id: '1001',
          resource_type: 'droplet',
          tags: [],
        };
        return { status: 200, body: { snapshots: [snapshot], links: {}, meta: { total: 1 } } };
      }
      return upstream();
    });
    const tagged = await run(['snapshot', '--tag', 'web']);
    expect(tagged.code).toBe(1);
    expectInert(tagged, 'snapshot --tag');
    expectOneProviderError(
      tagged,
      'snapshot --tag',
      /droplets\[0\]\.id is "1001\\u001b\[2J.*not a positive whole number/,
    );
    const reconcile = await run(['reconcile']);
    expect(reconcile.code).toBe(1);
    expectInert(reconcile, 'reconcile');
    expectOneProviderError(reconcile, 'reconcile', /snapshots\[0\]\.id is "150000001\\u001b.*not a string of digits/);
    expect(jsonError(await run(['reconcile', '--json']), 'reconcile --json').code).toBe(
      'digitalocean_malformed_response',
    );
    expect(api.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

describe('escape sequences in the id of the snapshot arcadia just made', () => {
  it('the step cannot confirm it, so the saga needs attention (exit 5); nothing is deleted; output inert', async () => {
    const { run, home } = await hostile(
      async (request, upstream) => {
        if (request.path !== '/v2/droplets/1001/snapshots') return undefined;
        const reply = await upstream();
        const listing = reply.json as { snapshots: { id: unknown }[] };
        const snapshots = listing.snapshots.map((s) => ({ ...s, id: `${String(s.id)}${ESCAPES}` }));
        return { status: 200, body: { ...listing, snapshots } };
      },
      { ARCADIA_LOOKUP_ATTEMPTS: '50' },
    );
    const plain = await run(['snapshot', '1001']);
    expect(plain.code, plain.stdout).toBe(5);
    expectInert(plain, 'snapshot');
    expect(plain.stdout).toMatch(/^droplet 1001: compensation_failed - .*snapshots\[0\]\.id is "150000001\\u001b/);
    expect(box?.sim.state().snapshots.map((s) => s.deletedAt)).toEqual([null]);
    const sagaId = readSagas(home)[0]?.id ?? '';
    expectInert(await run(['saga', 'show', sagaId]), 'saga show');
    jsonOf(await run(['saga', 'show', sagaId, '--json']), 'saga show --json');
  });
});

/** A droplet as DigitalOcean lists it, with only what arcadia reads. */
function droplet(id: number): Record<string, unknown> {
  return {
    id,
    name: `web-${id}`,
    memory: 1024,
    vcpus: 1,
    disk: 25,
    locked: false,
    status: 'active',
    created_at: '2026-03-01T12:00:00Z',
    tags: ['web'],
  };
}

describe('wrong types and strange ids', () => {
  it('a non-string links.pages.next is a provider error, not "internal"', async () => {
    const { run } = await hostile(async (request, upstream) => {
      if (!isTagListing(request.path, request.query)) return undefined;
      return { status: 200, body: { ...((await upstream()).json as object), links: { pages: { next: 5 } } } };
    });
    const plain = await run(['snapshot', '--tag', 'web']);
    expect(plain.code).toBe(1);
    expectOneProviderError(plain, 'snapshot --tag', /links\.pages\.next is 5, not a string/);
    const error = jsonError(await run(['snapshot', '--tag', 'web', '--json']), 'snapshot --tag --json');
    expect(error.code).toBe('digitalocean_malformed_response');
  });

  it('string droplet ids ("0x65", "101") from a tag listing are refused, so no snapshot is ever posted', async () => {
    for (const id of ['0x65', '101']) {
      const { api, run } = await hostile((request) =>
        isTagListing(request.path, request.query)
          ? { status: 200, body: { droplets: [{ ...droplet(101), id }], links: {} } }
          : undefined,
      );
      // two runs, as two overlapping cron runs would be: neither may take the string for droplet 101
      const first = await run(['snapshot', '--tag', 'web', '--json']);
      const second = await run(['snapshot', '--tag', 'web']);
      expect(first.code).toBe(1);
      const error = jsonError(first, `--tag with id ${id}`);
      expect(error.code).toBe('digitalocean_malformed_response');
      expect(error.message).toContain(`droplets[0].id is ${JSON.stringify(id)}, not a positive whole number`);
      expect(second.code).toBe(1);
      expectOneProviderError(second, `--tag with id ${id}`, /droplets\[0\]\.id is "/);
      expect(
        api.requests.filter((r) => r.method === 'POST'),
        `id ${id}: nothing posted`,
      ).toEqual([]);
      await api.close();
      await box?.cleanup();
      box = undefined;
    }
  });
});

describe('statuses arcadia does not expect, and redirects', () => {
  it('a 3xx to another host is not followed (the token stays here) and a 418 is a clear provider error', async () => {
    const elsewhere = await startHostileApi(() => ({ status: 200, body: { droplet: droplet(1001) } }));
    apis.push(elsewhere);
    for (const status of [302, 307, 418]) {
      const { run, home } = await hostile((request) =>
        request.method === 'GET' && request.path.startsWith('/v2/droplets/1001')
          ? {
              status,
              headers: { location: `${elsewhere.url}${request.path}` },
              body: status === 418 ? { id: 'teapot', message: `short and stout ${ESCAPES}` } : '',
            }
          : undefined,
      );
      const plain = await run(['snapshot', '1001']);
      expect(plain.code, `${status}: ${plain.stdout}${plain.stderr}`).toBe(1);
      expectInert(plain, `${status}`);
      expectOneProviderError(
        plain,
        `${status}`,
        new RegExp(`^error: DigitalOcean ${status}\\b.*\\(GET /v2/droplets/1001`),
      );
      expectNoToken(plain, home, `${status}`);
      const error = jsonError(await run(['snapshot', '1001', '--json']), `${status} --json`);
      expect(error.code, `${status}`).toBe('digitalocean_unexpected_status');
      await apis.pop()?.close();
      await box?.cleanup();
      box = undefined;
    }
    expect(elsewhere.requests, 'no request followed a redirect').toEqual([]);
  });
});

describe('replies without bounds', () => {
  it('endless pages stop at ARCADIA_MAX_PAGES with a clear error', async () => {
    const { api, run } = await hostile((request) => {
      if (!isTagListing(request.path, request.query)) return undefined;
      const page = Number(request.query.get('page'));
      return {
        status: 200,
        body: { droplets: [], links: { pages: { next: `https://api.digitalocean.com/v2/droplets?page=${page + 1}` } } },
      };
    });
    const result = await run(['snapshot', '--tag', 'web', '--json'], { ARCADIA_MAX_PAGES: '5' });
    expect(result.code).toBe(1);
    expect(jsonError(result, 'endless pages')).toMatchObject({
      code: 'digitalocean_too_many_pages',
      message: expect.stringContaining('more than 5 pages'),
    });
    expect(api.requests.filter((r) => r.path === '/v2/droplets')).toHaveLength(5);
  });

  it('a page of 100,000 items when 200 were asked for is refused', async () => {
    const items = Array.from({ length: 100_000 }, (_, i) => droplet(i + 1));
    const body = JSON.stringify({ droplets: items, links: {} });
    const { run } = await hostile((request) =>
      isTagListing(request.path, request.query) ? { status: 200, body } : undefined,
    );
    const result = await run(['snapshot', '--tag', 'web', '--json']);
    expect(result.code).toBe(1);
    const error = jsonError(result, 'oversized page');
    expect(error).toMatchObject({
      code: 'digitalocean_oversized_page',
      message: expect.stringContaining('page 1 has 100000 items, more than the 200 asked for'),
    });
    expect(readSagas(box?.home ?? '')).toEqual([]);
  });

  it('an endless body is cut at ARCADIA_MAX_REPLY_BYTES: the run ends with an error instead of growing', async () => {
    const { api, run } = await hostile((request) =>
      isTagListing(request.path, request.query) ? { endless: `{"id":1,"name":"${'w'.repeat(1000)}"},` } : undefined,
    );
    const result = await run(['snapshot', '--tag', 'web'], { ARCADIA_MAX_REPLY_BYTES: String(1024 * 1024) });
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(1);
    expectOneProviderError(result, 'endless body', /the reply body is larger than 1048576 bytes: stopped reading it/);
    // what was sent before arcadia hung up: the cap plus what the sockets buffered, nowhere near unbounded
    expect(api.bytesSent()).toBeLessThan(64 * 1024 * 1024);
  });
});
