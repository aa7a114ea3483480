import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/arcadia.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { FAST_SIMULATOR, arcadia, start } from './harness.js';
import { arcadiaSnapshotsByDroplet, twoHosts, type TwoHosts } from './multi-host-harness.js';

/**
 * Issue 12: a host that loses the database mid-saga stops, exits 4 naming the database (never its password), and
 * once the database is back another host takes the saga over after the stale time with no second snapshot. The
 * database is taken away by a loopback proxy in front of the test server that drops every connection and refuses
 * new ones, as a stopped server or a cut network does.
 */

const STALE_MS = 3000;
const ENV = {
  ARCADIA_LOCK_STALE_MS: String(STALE_MS),
  ARCADIA_HEARTBEAT_MS: '100',
  ARCADIA_DATABASE_CONNECT_TIMEOUT_MS: '1000',
  ARCADIA_DATABASE_QUERY_TIMEOUT_MS: '2000',
};

let hosts: TwoHosts | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await hosts?.cleanup();
  hosts = undefined;
  proxy = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the database lost mid-saga', { timeout: 60_000 }, () => {
  it('exits 4 naming host:port/dbname, never the password; resumed elsewhere with one snapshot', async () => {
    const h = (hosts = await twoHosts({ ...FAST_SIMULATOR, actionDurationMs: { snapshot: 3000 } }, ENV));
    // Host A reaches the database through the proxy; host B directly, as it never loses it.
    const target = new URL(h.database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const viaProxy = new URL(h.database.url);
    viaProxy.port = String(proxy.port);
    const envA = { ...h.a.env, ARCADIA_DATABASE_URL: viaProxy.toString() };

    const lost = start(['snapshot', '1001', '--json'], envA);
    const posted = (): boolean => h.sim.state().actions.some((a) => a.type === 'snapshot');
    await waitFor(posted, { what: 'the snapshot POST', intervalMs: 5 });
    await proxy.cut();
    const result = await lost.done;

    expect(result.code, result.stderr).toBe(4);
    // --json: the one JSON document on stdout carries the error.
    expect(result.stdout).toContain(`127.0.0.1:${proxy.port}/${h.database.name}`);
    for (const text of [result.stderr, result.stdout]) expect(text).not.toContain(h.database.password);
    const requestsWhenLost = h.sim.state().requests.length;

    await proxy.restore();
    await sleep(STALE_MS + 300);
    const successor = await arcadia(['saga', 'resume', '--all', '--json'], h.b.env);
    expect(successor.code, successor.stderr).toBe(0);
    const [saga, ...others] = await h.sagas();
    expect(others).toEqual([]);
    expect(saga).toMatchObject({ status: 'succeeded', leaseEpoch: 2 });
    // Nothing of the lost host's epoch after it stopped.
    const late = h.sim.state().requests.slice(requestsWhenLost);
    expect(late.filter((r) => r.headers['x-arcadia-epoch'] === '1')).toEqual([]);
    expect(h.sim.state().actions.filter((a) => a.type === 'snapshot')).toHaveLength(1);
    expect([...arcadiaSnapshotsByDroplet(h.sim).values()]).toEqual([[expect.stringMatching(/^arcadia-snap-1001-/)]]);
    expect(await h.violations()).toEqual([]);
  });
});
