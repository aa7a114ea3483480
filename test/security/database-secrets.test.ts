import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_SIMULATOR, arcadia, sandbox, type RunResult, type Sandbox } from '../e2e/harness.js';
import { postgresServerUrl } from '../helpers/postgres.js';
import { filesUnder } from './util.js';

/**
 * Issue 12: the database password (in ARCADIA_DATABASE_URL, or PGPASSWORD beside a URL without one) never appears
 * in any output, error or --json of any command, nor in a ledger row or a file of the home. The suite's role and
 * databases are its own, with a random password, so a leak of that value can only be arcadia's.
 */

const PASSWORD = randomBytes(24).toString('hex');
const WRONG = randomBytes(24).toString('hex');
const ROLE = `arcadia_sec_${randomBytes(4).toString('hex')}`;
const DATABASE = `${ROLE}_ledger`;
const COPY_TARGET = `${ROLE}_copy`;
const NEEDLES = [PASSWORD, WRONG].flatMap((p) => [p, p.slice(0, 16), p.slice(-16)]);

const leaks = (text: string | Buffer): string[] =>
  NEEDLES.filter((needle) => (typeof text === 'string' ? text.includes(needle) : text.includes(needle)));

let box: Sandbox;
let sqliteHome: string;
let server: URL;

async function admin(statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: postgresServerUrl() });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** postgres://ROLE[:password]@host:port/database */
function urlOf(database: string, password: string | undefined, port = server.port): string {
  const credentials = password === undefined ? ROLE : `${ROLE}:${password}`;
  return `postgres://${credentials}@${server.hostname}:${port}/${database}`;
}

const runs: { label: string; result: RunResult }[] = [];

async function run(label: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  const result = await arcadia(args, { ...box.env, ARCADIA_DATABASE_CONNECT_TIMEOUT_MS: '2000', ...env });
  runs.push({ label, result });
  expect(leaks(result.stdout), `${label}: password in stdout:\n${result.stdout}`).toEqual([]);
  expect(leaks(result.stderr), `${label}: password in stderr:\n${result.stderr}`).toEqual([]);
  return result;
}

beforeAll(async () => {
  server = new URL(postgresServerUrl());
  await admin([
    `CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}'`,
    `CREATE DATABASE ${DATABASE} OWNER ${ROLE}`,
    `CREATE DATABASE ${COPY_TARGET} OWNER ${ROLE}`,
  ]);
  box = await sandbox({ ...FAST_SIMULATOR, actionDurationMs: { ...FAST_SIMULATOR.actionDurationMs, snapshot: 150 } });
  sqliteHome = mkdtempSync(join(tmpdir(), 'arcadia-sec-sqlite-'));
});

afterAll(async () => {
  await box?.cleanup();
  if (sqliteHome) rmSync(sqliteHome, { recursive: true, force: true });
  await admin([
    `DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`,
    `DROP DATABASE IF EXISTS ${COPY_TARGET} WITH (FORCE)`,
    `DROP ROLE IF EXISTS ${ROLE}`,
  ]);
});

/** Both ways to give the password: in the URL, or PGPASSWORD beside a URL without one. */
const WAYS: { name: string; env: () => NodeJS.ProcessEnv }[] = [
  { name: 'in ARCADIA_DATABASE_URL', env: () => ({ ARCADIA_DATABASE_URL: urlOf(DATABASE, PASSWORD) }) },
  {
    name: 'in PGPASSWORD',
    env: () => ({ ARCADIA_DATABASE_URL: urlOf(DATABASE, undefined), PGPASSWORD: PASSWORD }),
  },
];

describe('the database password never leaks', { timeout: 60_000 }, () => {
  for (const way of WAYS) {
    it(`every command, plain and --json, with the password ${way.name}`, async () => {
      const env = way.env();
      const snapshot = await run('snapshot', ['snapshot', '1001'], env);
      expect(snapshot.code, snapshot.stderr).toBe(0);
      const json = await run('snapshot --json', ['snapshot', '1002', '--json'], env);
      expect(json.code, json.stderr).toBe(0);
      const [entry] = JSON.parse(json.stdout) as { sagaId: string }[];
      const sagaId = entry?.sagaId ?? '';
      expect(sagaId).not.toBe('');
      for (const args of [
        ['saga', 'list'],
        ['saga', 'list', '--json'],
        ['saga', 'show', sagaId],
        ['saga', 'show', sagaId, '--json'],
        ['saga', 'resume', '--all'],
        ['saga', 'resume', '--all', '--json'],
        ['reconcile'],
        ['reconcile', '--json'],
        ['check', '1001', '1002'],
        ['ledger', 'info'],
        ['ledger', 'info', '--json'],
      ]) {
        const result = await run(args.join(' '), args, env);
        expect(result.code, `${args.join(' ')}: ${result.stdout}${result.stderr}`).toBe(0);
      }
      const info = await run('ledger info --json', ['ledger', 'info', '--json'], env);
      expect(info.stdout).toContain(`${server.hostname}:${server.port}/${DATABASE}`);
      // A failing command's error (a saga that cannot be cancelled, as it has finished) carries no password either.
      const cancel = await run('saga cancel --json', ['saga', 'cancel', sagaId, '--json'], env);
      expect(cancel.code).not.toBe(0);
    });
  }

  it('a wrong password, an unreachable server and an unknown database: exit 4 naming the database only', async () => {
    const failures: { label: string; env: NodeJS.ProcessEnv; location: string }[] = [
      {
        label: 'wrong password in the URL',
        env: { ARCADIA_DATABASE_URL: urlOf(DATABASE, WRONG) },
        location: `${server.hostname}:${server.port}/${DATABASE}`,
      },
      {
        label: 'wrong PGPASSWORD',
        env: { ARCADIA_DATABASE_URL: urlOf(DATABASE, undefined), PGPASSWORD: WRONG },
        location: `${server.hostname}:${server.port}/${DATABASE}`,
      },
      {
        label: 'nothing listening',
        env: { ARCADIA_DATABASE_URL: urlOf(DATABASE, PASSWORD, '1') },
        location: `${server.hostname}:1/${DATABASE}`,
      },
      {
        label: 'no such database',
        env: { ARCADIA_DATABASE_URL: urlOf(`${ROLE}_missing`, PASSWORD) },
        location: `${server.hostname}:${server.port}/${ROLE}_missing`,
      },
    ];
    for (const failure of failures) {
      for (const args of [
        ['saga', 'list'],
        ['snapshot', '1001', '--json'],
        ['ledger', 'info', '--json'],
      ]) {
        const result = await run(`${failure.label}: ${args.join(' ')}`, args, failure.env);
        expect(result.code, `${failure.label} ${args.join(' ')}: ${result.stdout}${result.stderr}`).toBe(4);
        expect(result.stdout + result.stderr).toContain(failure.location);
      }
    }
  });

  it('ledger copy --to, into an empty ledger and refused by a non-empty one, with both ways', async () => {
    const home = { ARCADIA_HOME: sqliteHome };
    const seeded = await run('sqlite snapshot', ['snapshot', '1001', '--json'], home);
    expect(seeded.code, seeded.stderr).toBe(0);
    const copied = await run('ledger copy', ['ledger', 'copy', '--to', urlOf(COPY_TARGET, PASSWORD), '--json'], home);
    expect(copied.code, copied.stderr).toBe(0);
    const refused = await run('ledger copy again', ['ledger', 'copy', '--to', urlOf(COPY_TARGET, undefined)], {
      ...home,
      PGPASSWORD: PASSWORD,
    });
    expect(refused.code).not.toBe(0);
    const wrong = await run('ledger copy wrong', ['ledger', 'copy', '--to', urlOf(COPY_TARGET, WRONG), '--json'], home);
    expect(wrong.code).toBe(4);
  });

  it('no ledger row and no file of the homes holds the password', async () => {
    const client = new pg.Client({ connectionString: postgresServerUrl().replace(/\/[^/]*$/, `/${DATABASE}`) });
    await client.connect();
    const rows: string[] = [];
    try {
      const tables = await client.query<{ name: string }>(
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
      );
      for (const { name } of tables.rows) {
        const result = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
        rows.push(...result.rows.map((r) => r.row));
      }
    } finally {
      await client.end();
    }
    // The suite's commands above wrote sagas, steps and events: the scan had something to read.
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.filter((row) => leaks(row).length > 0)).toEqual([]);
    for (const dir of [box.home, sqliteHome])
      for (const { path, bytes } of filesUnder(dir)) expect(leaks(bytes), path).toEqual([]);
    expect(runs.length).toBeGreaterThan(30);
  });
});
