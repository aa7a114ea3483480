import { afterEach, describe, expect, it } from 'vitest';
import { minimalEnv, spawnNode } from '../../tools/lib/spawn-arcadia.js';

const PLANTED = ['NODE_EXTRA_CA_CERTS', 'DIGITALOCEAN_ACCESS_TOKEN', 'ARCADIA_HOME', 'NODE_OPTIONS'] as const;

describe('the shared spawner of the built CLI', () => {
  const saved = Object.fromEntries(PLANTED.map((key) => [key, process.env[key]]));
  afterEach(() => {
    for (const key of PLANTED) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it("gives a child nothing of the parent's environment but PATH", async () => {
    // What a maintainer's shell may hold: a CA bundle (doubles node's start-up), a real token, a real home.
    process.env.NODE_EXTRA_CA_CERTS = '/nonexistent/ca.pem';
    process.env.DIGITALOCEAN_ACCESS_TOKEN = 'dop_v1_not-for-children';
    process.env.ARCADIA_HOME = '/nonexistent/home';
    process.env.NODE_OPTIONS = '--no-warnings';
    const run = await spawnNode(['-e', 'process.stdout.write(JSON.stringify(process.env))'], {
      home: '/tmp/arcadia-spawn-test',
      env: { ARCADIA_API_URL: 'http://127.0.0.1:9' },
    }).done;
    expect(run.code).toBe(0);
    const childEnv = JSON.parse(run.stdout) as Record<string, string>;
    for (const key of ['NODE_EXTRA_CA_CERTS', 'DIGITALOCEAN_ACCESS_TOKEN', 'NODE_OPTIONS']) {
      expect(childEnv[key]).toBeUndefined();
    }
    expect(childEnv).toMatchObject({
      PATH: process.env.PATH,
      NO_COLOR: '1',
      ARCADIA_HOME: '/tmp/arcadia-spawn-test',
      HOME: '/tmp/arcadia-spawn-test',
      ARCADIA_API_URL: 'http://127.0.0.1:9',
    });
  });

  it('lets a caller remove a base variable', () => {
    expect(minimalEnv({ env: { NO_COLOR: undefined } }).NO_COLOR).toBeUndefined();
  });
});
