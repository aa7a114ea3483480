import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createDigitalOceanClient } from '../../src/digitalocean/client.js';
import {
  BadRequestError,
  DigitalOceanAuthError,
  DigitalOceanError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  PendingEventError,
  ServerError,
  UnauthorizedError,
  UnprocessableError,
} from '../../src/digitalocean/errors.js';
import { ArcadiaError } from '../../src/errors.js';
import { clientFor, failure, simulator, virtualClock } from './helpers.js';

const SECRET = 'dop_v1_this-is-a-secret-token-value';

describe('client errors', () => {
  it('400: a backup id is "not a snapshot", permanent', async () => {
    const sim = await simulator({ droplets: [{ id: 7, backups: [{ id: 900, name: 'weekly' }] }] });
    const error = await failure(clientFor(sim).getSnapshot('900'));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({
      status: 400,
      providerId: 'bad_request',
      providerMessage: 'the resource is not a snapshot',
      method: 'GET',
      path: '/v2/snapshots/900',
      transient: false,
    });
    expect(error.message).toMatch(
      new RegExp(
        /^DigitalOcean 400 bad_request: the resource is not a snapshot /.source +
          /\(GET \/v2\/snapshots\/900, request [0-9a-f-]{36}\)$/.source,
      ),
    );
    expect(await failure(clientFor(sim).deleteSnapshot('900'))).toBeInstanceOf(BadRequestError);
  });

  it('401: names the variable the rejected token came from, never the token', async () => {
    const sim = await simulator();
    const client = createDigitalOceanClient({
      apiUrl: sim.url,
      readToken: SECRET,
      tokenVariables: { read: 'ARCADIA_READ_TOKEN' },
    });
    const error = await failure(client.getAccount());
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error).toBeInstanceOf(DigitalOceanAuthError);
    expect(error).toBeInstanceOf(ArcadiaError);
    expect(error).toMatchObject({
      status: 401,
      variable: 'ARCADIA_READ_TOKEN',
      transient: false,
      providerMessage: 'Unable to authenticate you.',
    });
    expect(error.message).toContain('ARCADIA_READ_TOKEN');
    expect(error.message).not.toContain(SECRET);
    expect(sim.state().requests).toHaveLength(1);
  });

  it('403: a read-only token cannot write, and the error names the provisioning variable', async () => {
    const sim = await simulator({ readOnlyTokens: [SECRET] });
    const client = createDigitalOceanClient({
      apiUrl: sim.url,
      provisioningToken: SECRET,
      tokenVariables: { provisioning: 'ARCADIA_PROVISIONING_TOKEN' },
    });
    expect(await client.getDroplet(3164444)).toMatchObject({ id: 3164444 });
    const error = await failure(client.postDropletAction(3164444, { type: 'snapshot', name: 'nope' }));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toBeInstanceOf(DigitalOceanAuthError);
    expect(error).toMatchObject({ status: 403, variable: 'ARCADIA_PROVISIONING_TOKEN', providerId: 'forbidden' });
    expect(error.message).not.toContain(SECRET);
    expect(sim.state().actions).toEqual([]);
  });

  it('404: unknown droplet and already-deleted snapshot', async () => {
    const sim = await simulator();
    const missing = await failure(clientFor(sim).getDroplet(12345));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toMatch(
      new RegExp(
        /^DigitalOcean 404 not_found: The resource you requested could not be found\. /.source +
          /\(GET \/v2\/droplets\/12345, request /.source,
      ),
    );
    expect(await failure(clientFor(sim).postDropletAction(12345, { type: 'power_on' }))).toBeInstanceOf(NotFoundError);
    expect(await failure(clientFor(sim).deleteSnapshot('424242'))).toBeInstanceOf(NotFoundError);
  });

  it('422: "pending event" is transient, any other 422 is not', async () => {
    const sim = await simulator({ droplets: [{ id: 7 }, { id: 8, status: 'off' }] });
    const client = clientFor(sim);
    await client.postDropletAction(7, { type: 'snapshot', name: 'first' });
    const pending = await failure(client.postDropletAction(7, { type: 'snapshot', name: 'second' }));
    expect(pending).toBeInstanceOf(PendingEventError);
    expect(pending).toMatchObject({ transient: true, providerMessage: 'Droplet already has a pending event.' });
    const off = await failure(client.postDropletAction(8, { type: 'power_off' }));
    expect(off).toBeInstanceOf(UnprocessableError);
    expect(off).toMatchObject({ transient: false, providerMessage: 'Droplet is already powered off.' });
    // refused POSTs are not retried either
    expect(sim.state().requests.filter((r) => r.method === 'POST')).toHaveLength(3);
  });

  it('5xx with a non-JSON body: the raw text becomes the message', async () => {
    const sim = await simulator({ faults: { failNextRequests: { status: 502, count: 1, nonJson: true } } });
    const error = await failure(clientFor(sim, { retries: 0 }).getAccount());
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 502, transient: true, providerId: undefined });
    expect(error.message).toContain('<html><body><h1>502</h1>upstream trouble</body></html>');
    expect((error as DigitalOceanError).requestId).toMatch(/^[0-9a-f-]{36}$/); // from x-request-id
  });

  it('never puts a token in a message, even when the server echoes it back', async () => {
    const echo = createServer((req, res) => {
      res.writeHead(req.url?.startsWith('/v2/account') ? 500 : 400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'bad_request', message: `you sent ${req.headers.authorization ?? ''}` }));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
      const client = createDigitalOceanClient({
        apiUrl: url,
        provisioningToken: SECRET,
        retries: 1,
        sleep: async () => undefined,
      });
      for (const attempt of [
        () => client.getAccount(),
        () => client.getDroplet(1),
        () => client.postDropletAction(1, { type: 'power_on' }),
      ]) {
        const error = await failure(attempt());
        expect(error).toBeInstanceOf(DigitalOceanError);
        expect(error.message).toContain('Bearer [redacted]');
        expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(SECRET);
      }
    } finally {
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });

  it('network errors on reads are transient NetworkErrors after the retries', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const clock = virtualClock();
    const client = createDigitalOceanClient({
      apiUrl: `http://127.0.0.1:${port}`,
      readToken: SECRET,
      retries: 2,
      retryBaseMs: 100,
      sleep: clock.sleep,
      now: clock.now,
      random: () => 0.5,
    });
    const error = await failure(client.getDroplet(7));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ status: null, transient: true, method: 'GET', path: '/v2/droplets/7' });
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).not.toContain(SECRET);
    expect(clock.sleeps).toEqual([75, 150]);
  });
});
