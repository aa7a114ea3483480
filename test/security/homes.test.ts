import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerPath } from '../../src/db/open.js';
import { sandbox } from '../e2e/harness.js';
import { ARCADIA_BIN, arcadiaEnv, assertBuilt, type ArcadiaResult } from '../helpers/arcadia.js';
import { newSaga, readSaga, withLedger } from '../helpers/ledger.js';
import { tempHome } from '../helpers/temp-home.js';
import { expectJsonError, inProcess, ledgerBytes, mode } from './util.js';

/**
 * Like ssh, arcadia refuses a home, ledger or locks folder that another user owns or may write, and a symlink where
 * one of its files should be: exit 4, the path and the problem named, nothing created or changed.
 */

function env(home: string): NodeJS.ProcessEnv {
  return { ARCADIA_HOME: home, HOME: home, NO_COLOR: '1', PATH: process.env.PATH ?? '/usr/bin:/bin' };
}

function seedLedger(home: string): string {
  return withLedger(home, ({ core }) => core.createSaga(newSaga({ stepNames: ['noop'] }), Date.now()).id);
}

async function expectRefused(home: string, args: string[], path: string, problem: RegExp): Promise<void> {
  const run = await inProcess([...args, '--json'], env(home));
  expect(run.code, `${args.join(' ')}: ${run.stdout}`).toBe(4);
  const error = expectJsonError(run, args.join(' '));
  expect(error.code).toBe('unsafe_path');
  expect(error.message).toContain(path);
  expect(error.message).toMatch(problem);
}

describe('homes and ledgers writable by others', () => {
  it.each([
    ['0777', 0o777, /world-writable \(mode 777\)/],
    ['0770', 0o770, /group-writable \(mode 770\)/],
  ])('refuses a home with mode %s for every command, and touches nothing in it', async (_, homeMode, problem) => {
    const { home } = tempHome();
    seedLedger(home);
    chmodSync(home, homeMode);
    const before = ledgerBytes(home);

    const start = ['saga', 'start', '--kind', 'test', '--step', 'noop'];
    const commands = [['saga', 'list'], ['saga', 'resume', '--all'], start];
    for (const args of commands) {
      await expectRefused(home, args, home, problem);
    }
    expect(ledgerBytes(home)).toEqual(before);
  });

  it('refuses a locks folder that others may write', async () => {
    const { home } = tempHome();
    const id = seedLedger(home);
    mkdirSync(join(home, 'locks'), { mode: 0o700 });
    chmodSync(join(home, 'locks'), 0o757);

    await expectRefused(home, ['saga', 'resume', id], join(home, 'locks'), /world-writable/);
    expect(readSaga(home, id)).toMatchObject({ status: 'pending', leaseEpoch: 0 });
  });

  it("tightens the too-wide mode of arcadia's own ledger to 0600 (owner-only)", async () => {
    const { home } = tempHome();
    seedLedger(home);
    chmodSync(ledgerPath(home), 0o644);

    const run = await inProcess(['saga', 'list', '--json'], env(home));

    expect(run.code).toBe(0);
    expect(mode(ledgerPath(home))).toBe(0o600);
  });
});

describe('symlinks where arcadia expects its own files', () => {
  it('refuses a ledger that is a symlink, and neither creates nor converts the file it points to', async () => {
    const { home } = tempHome();
    const { home: elsewhere } = tempHome();
    const empty = join(elsewhere, 'empty-file');
    writeFileSync(empty, '');
    const dangling = join(elsewhere, 'not-there');

    symlinkSync(empty, ledgerPath(home));
    await expectRefused(home, ['saga', 'list'], ledgerPath(home), /symlink/);
    await expectRefused(home, ['saga', 'start', '--kind', 'test', '--step', 'noop'], ledgerPath(home), /symlink/);
    expect(statSync(empty).size).toBe(0);

    const second = tempHome().home;
    symlinkSync(dangling, ledgerPath(second));
    await expectRefused(second, ['saga', 'start', '--kind', 'test', '--step', 'noop'], ledgerPath(second), /symlink/);
    expect(existsSync(dangling)).toBe(false);
    expect(readdirSync(elsewhere)).toEqual(['empty-file']);
  });

  it('resumes a saga whose lock file is a dangling symlink (an unreadable lock), not exit 3', async () => {
    const { home } = tempHome();
    const id = seedLedger(home);
    mkdirSync(join(home, 'locks'), { mode: 0o700 });
    const { home: elsewhere } = tempHome();
    symlinkSync(join(elsewhere, 'gone.lock'), join(home, 'locks', `${id}.lock`));

    const run = await inProcess(['saga', 'resume', id, '--json'], env(home));

    expect(run.code, run.stdout).toBe(0);
    expect(readSaga(home, id).status).toBe('succeeded');
    expect(existsSync(join(home, 'locks', `${id}.lock`))).toBe(false);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it.each(['-wal', '-shm'])('refuses a symlink in place of the ledger%s file', async (suffix) => {
    const { home } = tempHome();
    seedLedger(home);
    const { home: elsewhere } = tempHome();
    symlinkSync(join(elsewhere, 'target'), ledgerPath(home) + suffix);

    await expectRefused(home, ['saga', 'list'], ledgerPath(home) + suffix, /symlink/);
    expect(existsSync(join(elsewhere, 'target'))).toBe(false);
  });
});

describe('read-only commands create and convert nothing', () => {
  it('saga list and saga show on a home that does not exist: no sagas, no home made', async () => {
    const home = join(tempHome().home, 'not-yet');

    const list = await inProcess(['saga', 'list', '--json'], env(home));
    const show = await inProcess(['saga', 'show', 'abcd'], env(home));

    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
    expect(show.code).toBe(2);
    expect(existsSync(home)).toBe(false);
  });

  it('saga list on an existing empty ledger file leaves it an empty file', async () => {
    const { home } = tempHome();
    writeFileSync(ledgerPath(home), '', { mode: 0o600 });

    const list = await inProcess(['saga', 'list'], env(home));

    expect(list.code).toBe(0);
    expect(list.stdout.trim()).toBe('no sagas');
    expect(statSync(ledgerPath(home)).size).toBe(0);
    expect(readdirSync(home)).toEqual(['arcadia.db']);
  });
});

describe('reading commands against DigitalOcean create no ledger either', () => {
  it('reconcile without --delete and snapshot --keep --dry-run leave a missing home missing', async () => {
    const box = await sandbox();
    try {
      const home = join(box.home, 'not-yet');
      const boxEnv = { ...box.env, ARCADIA_HOME: home, HOME: home };
      const droplet = String(box.sim.state().droplets[0]?.id ?? 1);

      const reconcile = await inProcess(['reconcile', '--json'], boxEnv);
      const preview = await inProcess(['snapshot', droplet, '--keep', '2', '--dry-run', '--json'], boxEnv);

      expect(reconcile.code, reconcile.stdout).toBe(0);
      expect(preview.code, preview.stdout).toBe(0);
      expect(existsSync(home)).toBe(false);
    } finally {
      await box.cleanup();
    }
  });
});

/** A second Unix user, made for these tests when running as root; without root there is nobody to be. */
const OTHER_USER = 'arcadia-test-other';
const isRoot = process.getuid?.() === 0;
let other: { uid: number; gid: number; created: boolean } | undefined;

function lookUpUser(name: string): { uid: number; gid: number } | undefined {
  try {
    const id = (flag: string): number =>
      Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const uid = id('-u');
    const gid = id('-g');
    return { uid, gid };
  } catch {
    return undefined;
  }
}

beforeAll(() => {
  if (!isRoot) return;
  const existing = lookUpUser(OTHER_USER);
  if (existing) {
    other = { ...existing, created: false };
    return;
  }
  const options = ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin'];
  execFileSync('useradd', [...options, OTHER_USER], { stdio: 'ignore' });
  const made = lookUpUser(OTHER_USER);
  if (!made) throw new Error(`useradd ${OTHER_USER} did not make a user`);
  other = { ...made, created: true };
});

afterAll(() => {
  if (other?.created) execFileSync('userdel', [OTHER_USER], { stdio: 'ignore' });
  if (runtimeCopy) rmSync(dirname(dirname(runtimeCopy)), { recursive: true, force: true });
});

/** The packages the bundle loads at run time (the rest is bundled), with what they need in turn. */
const RUNTIME_PACKAGES = ['better-sqlite3', 'cli-table3'];

let runtimeCopy: string | undefined;

/**
 * The built CLI copied where any user may read it: the checkout may sit in a folder only root can enter (CI's clone
 * does), and the other user must run the same build. Bin, bundle, migrations and the run-time packages only.
 */
function readableArcadiaBin(): string {
  if (runtimeCopy) return runtimeCopy;
  assertBuilt();
  const root = dirname(dirname(ARCADIA_BIN));
  const copy = mkdtempSync(join(tmpdir(), 'arcadia-other-user-'));
  for (const part of ['bin', 'dist/bundle', 'drizzle', 'package.json']) {
    cpSync(join(root, part), join(copy, part), { recursive: true });
  }
  const pending = [...RUNTIME_PACKAGES];
  const copied = new Set<string>();
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (copied.has(name)) continue;
    copied.add(name);
    const from = join(root, 'node_modules', name);
    cpSync(from, join(copy, 'node_modules', name), { recursive: true, dereference: true });
    const manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    pending.push(...Object.keys(manifest.dependencies ?? {}));
  }
  execFileSync('chmod', ['-R', 'a+rX', copy]);
  runtimeCopy = join(copy, 'bin', 'arcadia.js');
  return runtimeCopy;
}

/** Runs the built arcadia as the other user. */
function runAs(user: { uid: number; gid: number }, args: string[], home: string): Promise<ArcadiaResult> {
  const bin = readableArcadiaBin();
  const started = Date.now();
  const child = spawn(process.execPath, [bin, ...args], {
    env: arcadiaEnv({ home }),
    uid: user.uid,
    gid: user.gid,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr, timedOut: false, durationMs: Date.now() - started });
    });
  });
}

describe.skipIf(!isRoot)(`another user's files (a second Unix user, ${OTHER_USER}; needs root to create)`, () => {
  it("root's cron run refuses a ledger another user owns, with that user's saga in it, and runs nothing", async () => {
    const user = other!;
    const { home } = tempHome();
    chownSync(home, user.uid, user.gid);
    // The other user records a saga in a ledger of their own, as anyone may.
    const start = ['saga', 'start', '--kind', 'test', '--step', 'noop', '--detach', '--json'];
    const planted = await runAs(user, start, home);
    expect(planted.code, planted.stderr).toBe(0);
    const id = (JSON.parse(planted.stdout) as { id: string }).id;
    expect(lstatSync(ledgerPath(home)).uid).toBe(user.uid);
    const before = ledgerBytes(home);

    const problem = new RegExp(`owned by uid ${user.uid}, not by you \\(uid 0\\)`);
    await expectRefused(home, ['saga', 'resume', '--all'], home, problem);
    // Unchanged bytes: the saga is still pending, and root wrote nothing (its helpers would refuse this ledger too).
    expect(ledgerBytes(home)).toEqual(before);
    expect(before['arcadia.db']).toBeDefined();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a ledger file another user owns, even in a home of ours', async () => {
    const user = other!;
    const { home } = tempHome();
    seedLedger(home);
    chownSync(ledgerPath(home), user.uid, user.gid);

    await expectRefused(home, ['saga', 'list'], ledgerPath(home), new RegExp(`owned by uid ${user.uid}`));
  });

  it("refuses a home that is another user's symlink, whatever it points to", async () => {
    const user = other!;
    const { home: parent } = tempHome();
    const { home: target } = tempHome();
    const link = join(parent, 'home');
    symlinkSync(target, link);
    execFileSync('chown', ['-h', `${user.uid}:${user.gid}`, link]);

    await expectRefused(link, ['saga', 'start', '--kind', 'test', '--step', 'noop'], link, /symlink owned by uid/);
    expect(readdirSync(target)).toEqual([]);
  });

  it("the other user cannot use root's home either", async () => {
    const user = other!;
    const { home } = tempHome();
    chmodSync(home, 0o755);
    seedLedger(home);

    const run = await runAs(user, ['saga', 'list'], home);

    expect(run.code, run.stderr).toBe(4);
    const says = `refusing to use the arcadia home ${home}: it is owned by uid 0, not by you (uid ${user.uid})`;
    expect(run.stderr).toContain(says);
  });
});
