import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ledgerPath } from '../../src/db/open.js';
import { lines, runArcadia, type ArcadiaResult } from '../helpers/arcadia.js';
import type { TestFinisher } from '../helpers/cleanup.js';
import {
  cliBackends,
  ledgerHoldings,
  sqliteLedgerBytes,
  type CliBackend,
  type CliBackendHome,
  type SagaHoldings,
} from '../helpers/ledger-backends.js';
import { homeSnapshot, newSaga } from '../helpers/ledger.js';
import { tempHome } from '../helpers/temp-home.js';

/**
 * Bad input must be refused with the right exit code, one line of explanation (or one JSON error object) and no
 * change to the ledger. Each case runs in a home of its own, most holding a few sagas; the cases that reach the ledger
 * run on both backends, those refused before it opens (or about the SQLite file itself) once, on SQLite.
 */

const A1 = 'abcd1111-0000-4000-8000-000000000001';
const A2 = 'abcd2222-0000-4000-8000-000000000002';
const DONE = 'dddd0000-0000-4000-8000-000000000003';
const UNKNOWN = 'eeee0000-0000-4000-8000-000000000004';

type HomeKind = 'fixture' | 'corrupt' | 'too-new' | 'read-only' | 'under-a-file';

interface Case {
  name: string;
  args: string[];
  code: 2 | 4;
  errorCode: string;
  home?: HomeKind;
  env?: NodeJS.ProcessEnv;
  /** Also run with --json appended and check the JSON error. */
  json?: boolean;
  /** Part of the one stderr line. */
  says?: string | RegExp;
}

const START = ['saga', 'start', '--kind', 'test'];

/** Cases that reach the ledger (resolving a saga id, opening it). */
const ledgerCases: Case[] = [
  {
    name: 'unknown saga id (show)',
    args: ['saga', 'show', UNKNOWN],
    code: 2,
    errorCode: 'saga_not_found',
    json: true,
    says: UNKNOWN,
  },
  { name: 'unknown saga id (resume)', args: ['saga', 'resume', UNKNOWN], code: 2, errorCode: 'saga_not_found' },
  { name: 'unknown saga id (cancel)', args: ['saga', 'cancel', UNKNOWN], code: 2, errorCode: 'saga_not_found' },
  { name: 'glob characters in an id', args: ['saga', 'show', 'abcd*'], code: 2, errorCode: 'saga_not_found' },
  {
    name: 'ambiguous prefix',
    args: ['saga', 'show', 'abcd'],
    code: 2,
    errorCode: 'ambiguous_saga_id',
    json: true,
    says: /"abcd" matches 2 sagas/,
  },
  { name: 'ambiguous prefix (resume)', args: ['saga', 'resume', 'abcd'], code: 2, errorCode: 'ambiguous_saga_id' },
  { name: 'cancel of a finished saga', args: ['saga', 'cancel', DONE], code: 2, errorCode: 'saga_not_resumable' },
  {
    name: 'ledger from a newer arcadia',
    args: ['saga', 'show', A1],
    home: 'too-new',
    code: 4,
    errorCode: 'ledger_too_new',
    json: true,
  },
];

/** Cases refused before any ledger opens (arguments, settings), or about the SQLite file itself: run once. */
const parseCases: Case[] = [
  {
    name: 'unknown step',
    args: [...START, '--step', 'noop', '--step', 'nope'],
    code: 2,
    errorCode: 'unknown_step',
    json: true,
    says: 'unknown step "nope"',
  },
  {
    name: 'unknown kind',
    args: ['saga', 'start', '--kind', 'nope', '--step', 'noop'],
    code: 2,
    errorCode: 'usage',
    json: true,
    says: 'unknown kind "nope"',
  },
  { name: 'no step', args: [...START], code: 2, errorCode: 'usage' },
  {
    name: 'malformed --input (no =)',
    args: [...START, '--step', 'noop', '--input', 'foo'],
    code: 2,
    errorCode: 'usage',
    json: true,
  },
  {
    name: 'malformed --input (no key)',
    args: [...START, '--step', 'noop', '--input', '=1'],
    code: 2,
    errorCode: 'usage',
  },
  {
    name: 'malformed --input (key twice)',
    args: [...START, '--step', 'noop', '--input', 'a=1', '--input', 'a=2'],
    code: 2,
    errorCode: 'usage',
  },
  { name: '--limit 0', args: ['saga', 'list', '--limit', '0'], code: 2, errorCode: 'usage', json: true },
  { name: '--limit -1', args: ['saga', 'list', '--limit', '-1'], code: 2, errorCode: 'usage' },
  { name: '--limit abc', args: ['saga', 'list', '--limit', 'abc'], code: 2, errorCode: 'usage' },
  { name: '--limit 99999999', args: ['saga', 'list', '--limit', '99999999'], code: 2, errorCode: 'usage' },
  { name: '--limit 1.5', args: ['saga', 'list', '--limit', '1.5'], code: 2, errorCode: 'usage' },
  { name: 'unknown --status', args: ['saga', 'list', '--status', 'running,bogus'], code: 2, errorCode: 'usage' },
  { name: 'resume with neither id nor --all', args: ['saga', 'resume'], code: 2, errorCode: 'usage', json: true },
  { name: 'resume with both id and --all', args: ['saga', 'resume', A1, '--all'], code: 2, errorCode: 'usage' },
  {
    name: 'unknown option',
    args: ['saga', 'list', '--bogus'],
    code: 2,
    errorCode: 'usage',
    json: true,
    says: "unknown option '--bogus'",
  },
  { name: 'unknown command', args: ['saga', 'bogus'], code: 2, errorCode: 'usage' },
  {
    name: 'corrupt ledger file (list)',
    args: ['saga', 'list'],
    home: 'corrupt',
    code: 4,
    errorCode: 'ledger_corrupt',
    json: true,
  },
  {
    name: 'corrupt ledger file (start)',
    args: [...START, '--step', 'noop'],
    home: 'corrupt',
    code: 4,
    errorCode: 'ledger_corrupt',
  },
  {
    name: 'read-only ARCADIA_HOME',
    args: [...START, '--step', 'noop'],
    home: 'read-only',
    code: 4,
    errorCode: 'ledger_unavailable',
    json: true,
  },
  {
    name: 'ARCADIA_HOME under a regular file',
    args: ['saga', 'list'],
    home: 'under-a-file',
    code: 4,
    errorCode: 'ledger_unavailable',
  },
  {
    name: 'ARCADIA_RATE_RESERVE not a percentage',
    args: ['saga', 'resume', '--all'],
    env: { ARCADIA_RATE_RESERVE: 'lots' },
    code: 2,
    errorCode: 'bad_rate_reserve',
    json: true,
    says: 'ARCADIA_RATE_RESERVE must be a percentage from 0 to 99 (like 20 or 20%), got "lots"',
  },
  {
    name: 'ARCADIA_RATE_RESERVE of 100% (nothing left to spend)',
    args: ['snapshot', '1001'],
    env: { ARCADIA_RATE_RESERVE: '100%' },
    code: 2,
    errorCode: 'bad_rate_reserve',
  },
  {
    name: 'malformed ARCADIA_LOCK_STALE_MS',
    args: ['saga', 'list'],
    env: { ARCADIA_LOCK_STALE_MS: 'abc' },
    code: 4,
    errorCode: 'config',
    json: true,
    says: 'ARCADIA_LOCK_STALE_MS',
  },
  {
    name: 'malformed ARCADIA_STEP_ATTEMPTS',
    args: [...START, '--step', 'noop'],
    env: { ARCADIA_STEP_ATTEMPTS: '2.5' },
    code: 4,
    errorCode: 'config',
  },
  {
    name: 'negative ARCADIA_BUSY_TIMEOUT_MS',
    args: ['saga', 'resume', '--all'],
    env: { ARCADIA_BUSY_TIMEOUT_MS: '-1' },
    code: 4,
    errorCode: 'config',
  },
  {
    name: 'zero ARCADIA_HEARTBEAT_MS',
    args: ['saga', 'show', A1],
    env: { ARCADIA_HEARTBEAT_MS: '0' },
    code: 4,
    errorCode: 'config',
  },
  {
    name: 'malformed ARCADIA_INTERRUPT_GRACE_MS',
    args: ['saga', 'list'],
    env: { ARCADIA_INTERRUPT_GRACE_MS: 'soon' },
    code: 4,
    errorCode: 'config',
    says: 'ARCADIA_INTERRUPT_GRACE_MS',
  },
  {
    name: 'ARCADIA_HEARTBEAT_MS at the stale time',
    args: ['saga', 'list'],
    env: { ARCADIA_LOCK_STALE_MS: '3000', ARCADIA_HEARTBEAT_MS: '3000' },
    code: 4,
    errorCode: 'config',
    json: true,
    says: 'ARCADIA_HEARTBEAT_MS (3000) must be at most 1/3 of ARCADIA_LOCK_STALE_MS (3000)',
  },
  {
    name: 'ARCADIA_HEARTBEAT_MS above a third of the stale time',
    args: ['saga', 'resume', '--all'],
    env: { ARCADIA_LOCK_STALE_MS: '3000', ARCADIA_HEARTBEAT_MS: '1001' },
    code: 4,
    errorCode: 'config',
    says: 'lower ARCADIA_HEARTBEAT_MS to 1000 or less',
  },
  {
    name: 'ARCADIA_HOST_ID with a space and a newline',
    args: ['saga', 'list'],
    env: { ARCADIA_HOST_ID: 'bastion a\nforged' },
    code: 4,
    errorCode: 'config',
    json: true,
    says: 'ARCADIA_HOST_ID',
  },
  {
    name: 'ARCADIA_HOST_ID too long',
    args: ['saga', 'resume', '--all'],
    env: { ARCADIA_HOST_ID: 'h'.repeat(65) },
    code: 4,
    errorCode: 'config',
  },
  {
    name: 'ARCADIA_LOCK_STALE_MS too short for any heartbeat',
    args: ['saga', 'list'],
    env: { ARCADIA_LOCK_STALE_MS: '2' },
    code: 4,
    errorCode: 'config',
  },
];

const backends = cliBackends();
const sqlite = backends.find((b) => b.name === 'sqlite')!;

/** Three sagas: two whose ids share the prefix "abcd", and one finished. */
async function seedFixture(h: CliBackendHome): Promise<void> {
  const ledger = await h.ledger();
  await ledger.createSaga(newSaga({ id: A1, stepNames: ['noop'] }), 1_000);
  await ledger.createSaga(newSaga({ id: A2, stepNames: ['noop', 'sleep'] }), 2_000);
  await ledger.createSaga(newSaga({ id: DONE, stepNames: ['noop'] }), 3_000);
  await h.setSagaStatus(DONE, 'succeeded');
}

/** A home whose SQLite ledger cannot be opened: there is no ledger a test could seed or read back. */
function unusableHome(kind: 'corrupt' | 'read-only' | 'under-a-file', test: TestFinisher): string {
  if (kind === 'read-only') {
    // Root ignores permission bits (chmod 0500 would not stop it). /proc/self is an existing directory in which
    // nobody, root included, can create a file. (Not a missing path under /proc: Node's recursive mkdir spins
    // forever on those.)
    if (process.getuid?.() === 0) return '/proc/self';
    const home = tempHome({ test }).path('ro');
    mkdirSync(home, { mode: 0o500 });
    return home;
  }
  const t = tempHome({ test });
  if (kind === 'under-a-file') {
    writeFileSync(t.path('a-file'), 'not a folder');
    return t.path('a-file', 'home');
  }
  writeFileSync(ledgerPath(t.home), Buffer.from('SQLite format 2\u0000 but not really; '.repeat(300)), { mode: 0o600 });
  return t.home;
}

/** A home for one run, and the ledger the test seeded into it (none for the unusable homes). */
interface PreparedHome {
  home: string;
  env: NodeJS.ProcessEnv;
  seeded?: CliBackendHome;
}

async function prepareHome(c: Case, backend: CliBackend, test: TestFinisher): Promise<PreparedHome> {
  const kind = c.home ?? 'fixture';
  if (kind !== 'fixture' && kind !== 'too-new') return { home: unusableHome(kind, test), env: {} };
  const seeded = await backend.open(test);
  await seedFixture(seeded);
  if (kind === 'too-new') await seeded.recordNewerMigration();
  return { home: seeded.home, env: seeded.env, seeded };
}

/**
 * What "no change" compares: the home's files, SQLite's ledger file and WAL (which the test's open connection
 * keeps), and every saga the ledger holds, read through the ledger's interface on either backend.
 */
async function observe(p: PreparedHome): Promise<{
  files: Record<string, string>;
  ledgerFiles: Record<string, string>;
  holdings?: SagaHoldings[];
}> {
  const files = { files: homeSnapshot(p.home), ledgerFiles: sqliteLedgerBytes(p.home) };
  return p.seeded ? { ...files, holdings: await ledgerHoldings(await p.seeded.ledger()) } : files;
}

async function runCase(c: Case, json: boolean, backend: CliBackend, test: TestFinisher): Promise<ArcadiaResult> {
  const p = await prepareHome(c, backend, test);
  const proc = p.home.startsWith('/proc/');
  // (Files under /proc cannot be read as plain files: there, the proof is that no ledger appeared.)
  const before = proc ? undefined : await observe(p);
  const args = json ? [...c.args, '--json'] : c.args;
  const result = await runArcadia(args, { home: p.home, env: { ...p.env, ...c.env }, test });
  if (proc) expect(existsSync(ledgerPath(p.home))).toBe(false);
  else expect(await observe(p), 'the home or the ledger changed').toEqual(before);
  if (!proc && c.home !== 'under-a-file' && existsSync(p.home)) {
    // No lock files, no temporary files: nothing was started.
    expect(readdirSync(p.home).filter((f) => !f.startsWith('arcadia.db'))).toEqual([]);
  }
  return result;
}

function expectOneLine(c: Case, result: ArcadiaResult): void {
  expect(result.code, result.stderr).toBe(c.code);
  expect(result.stdout).toBe('');
  const errorLines = lines(result.stderr);
  expect(errorLines, result.stderr).toHaveLength(1);
  expect(errorLines[0]).toMatch(/^error: \S/);
  if (c.says) expect(errorLines[0]).toMatch(c.says);
}

function expectJsonError(c: Case, result: ArcadiaResult): void {
  expect(result.code, result.stdout + result.stderr).toBe(c.code);
  expect(result.stderr).toBe('');
  expect(lines(result.stdout)).toHaveLength(1);
  const body = JSON.parse(result.stdout) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
  expect(body.error.code).toBe(c.errorCode);
  expect(body.error.message.length).toBeGreaterThan(5);
}

describe.concurrent('bad input is refused with one line and no change', () => {
  it.for(parseCases)('$name -> exit $code', async (c, test) => {
    expectOneLine(c, await runCase(c, false, sqlite, test));
  });

  it.for(parseCases.filter((c) => c.json))('$name --json -> JSON error $errorCode, exit $code', async (c, test) => {
    expectJsonError(c, await runCase(c, true, sqlite, test));
  });
});

describe.concurrent.each(backends)('bad input that reaches the ledger ($name)', (backend) => {
  it.for(ledgerCases)('$name -> exit $code, the ledger unchanged', async (c, test) => {
    expectOneLine(c, await runCase(c, false, backend, test));
  });

  it.for(ledgerCases.filter((c) => c.json))('$name --json -> JSON error $errorCode, exit $code', async (c, test) => {
    expectJsonError(c, await runCase(c, true, backend, test));
  });
});

describe('a mistyped step', () => {
  it('is refused before any ledger opens: no ledger file in a new home, no database needed to say so', async () => {
    const home = tempHome().path('new-home');
    const args = [...START, '--step', 'noop', '--step', 'nope'];
    const onSqlite = await runArcadia(args, { home });
    expect(onSqlite.code, onSqlite.stderr).toBe(2);
    expect(existsSync(home)).toBe(false);
    // Nothing listens on port 1 of the loopback: had the command opened the ledger first, it would exit 4.
    const unreachable = { ARCADIA_DATABASE_URL: 'postgres://arcadia:secret@127.0.0.1:1/arcadia' };
    const onPostgres = await runArcadia(args, { home, env: unreachable });
    expect(onPostgres.code, onPostgres.stderr).toBe(2);
    expect(onPostgres.stderr).toMatch(/unknown step "nope"/);
  });
});
