import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerPath } from '../../src/db/open.js';
import { lines, runArcadia, type ArcadiaResult } from '../helpers/arcadia.js';
import { homeSnapshot, newSaga, withLedger } from '../helpers/ledger.js';
import { tempHome, type TempHome } from '../helpers/temp-home.js';

/**
 * Bad input must be refused with the right exit code, one line of explanation (or one JSON error object) and no
 * change to the ledger. Each case runs in its own copy of a fixture home holding a few sagas.
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

const cases: Case[] = [
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
    name: 'ledger from a newer arcadia',
    args: ['saga', 'show', A1],
    home: 'too-new',
    code: 4,
    errorCode: 'ledger_too_new',
    json: true,
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

let fixture: TempHome;
let fixtureLedger: string;

beforeAll(() => {
  fixture = tempHome({ prefix: 'arcadia-fixture-', autoCleanup: false });
  withLedger(fixture.home, ({ core, db }) => {
    core.createSaga(newSaga({ id: A1, stepNames: ['noop'] }), 1_000);
    core.createSaga(newSaga({ id: A2, stepNames: ['noop', 'sleep'] }), 2_000);
    core.createSaga(newSaga({ id: DONE, stepNames: ['noop'] }), 3_000);
    db.prepare(`UPDATE saga_runs SET status = 'succeeded' WHERE id = ?`).run(DONE);
  });
  fixtureLedger = ledgerPath(fixture.home);
});

afterAll(() => fixture.cleanup());

/** A home for one run: its path and what "unchanged" means for it. */
function prepareHome(kind: HomeKind, test: { onTestFinished(fn: () => void): void }): string {
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
  if (kind === 'corrupt') {
    writeFileSync(ledgerPath(t.home), Buffer.from('SQLite format 2\u0000 but not really; '.repeat(300)), {
      mode: 0o600,
    });
    return t.home;
  }
  copyFileSync(fixtureLedger, ledgerPath(t.home));
  if (kind === 'too-new') {
    withLedger(t.home, ({ db }) =>
      db.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('future', 0),
    );
  }
  return t.home;
}

function sagaCounts(home: string): { sagas: number; events: number; steps: number } {
  return withLedger(home, ({ db }) => ({
    sagas: (db.prepare('SELECT count(*) AS n FROM saga_runs').get() as { n: number }).n,
    events: (db.prepare('SELECT count(*) AS n FROM saga_events').get() as { n: number }).n,
    steps: (db.prepare('SELECT count(*) AS n FROM saga_step_results').get() as { n: number }).n,
  }));
}

async function runCase(
  c: Case,
  json: boolean,
  test: { onTestFinished(fn: () => void): void },
): Promise<{ result: ArcadiaResult; home: string }> {
  const home = prepareHome(c.home ?? 'fixture', test);
  const proc = home.startsWith('/proc/');
  // (Files under /proc cannot be read as plain files: there, the proof is that no ledger appeared.)
  const before = proc ? {} : homeSnapshot(home);
  const countsBefore = c.home === undefined || c.home === 'fixture' ? sagaCounts(home) : undefined;
  const result = await runArcadia(json ? [...c.args, '--json'] : c.args, { home, env: c.env ?? {}, test });
  if (proc) expect(existsSync(ledgerPath(home))).toBe(false);
  else expect(homeSnapshot(home), 'files in the home changed').toEqual(before);
  if (countsBefore) expect(sagaCounts(home)).toEqual(countsBefore);
  if (!proc && c.home !== 'under-a-file') {
    // No lock files, no temporary files: nothing was started.
    expect(readdirSync(home).filter((f) => !f.startsWith('arcadia.db'))).toEqual([]);
  }
  return { result, home };
}

describe.concurrent('bad input is refused with one line and no change', () => {
  it.for(cases)('$name -> exit $code', async (c, test) => {
    const { result } = await runCase(c, false, test);
    expect(result.code, result.stderr).toBe(c.code);
    expect(result.stdout).toBe('');
    const errorLines = lines(result.stderr);
    expect(errorLines, result.stderr).toHaveLength(1);
    expect(errorLines[0]).toMatch(/^error: \S/);
    if (c.says) expect(errorLines[0]).toMatch(c.says);
  });

  it.for(cases.filter((c) => c.json))('$name --json -> JSON error $errorCode, exit $code', async (c, test) => {
    const { result } = await runCase(c, true, test);
    expect(result.code, result.stdout + result.stderr).toBe(c.code);
    expect(result.stderr).toBe('');
    expect(lines(result.stdout)).toHaveLength(1);
    const body = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
    expect(body.error.code).toBe(c.errorCode);
    expect(body.error.message.length).toBeGreaterThan(5);
  });
});
