import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statfsSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerPath } from '../../src/db/open.js';
import {
  FAST_SIMULATOR,
  arcadia,
  invariantViolations,
  readSagas,
  sandbox,
  start,
  type RunResult,
  type Sandbox,
} from '../e2e/harness.js';
import { expectJsonError, expectOneErrorLine, inProcess, waitFor } from '../security/util.js';

/** Snapshots take long enough here to do something to the ledger while one is in flight. */
const SLOW_SNAPSHOT = { ...FAST_SIMULATOR, actionDurationMs: { ...FAST_SIMULATOR.actionDurationMs, snapshot: 700 } };
const BUSY_MS = '250';

let box: Sandbox | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup();
    } catch {
      // best effort
    }
  }
  await box?.cleanup();
  box = undefined;
});

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * Another process that takes the ledger's write lock (BEGIN EXCLUSIVE) when told to and holds it until released.
 * It is started ahead, so taking the lock costs a pipe round trip, not a Node start-up.
 */
async function ledgerHolder(home: string): Promise<{ lock(): Promise<void>; release(): Promise<void> }> {
  const script = `
    const Database = require(process.env.BETTER_SQLITE3);
    const db = new Database(process.env.LEDGER, { timeout: 10000 });
    process.stdout.write('ready\\n');
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (command) => {
      if (command.includes('lock')) { db.exec('BEGIN EXCLUSIVE'); process.stdout.write('locked\\n'); }
      if (command.includes('release')) {
        db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); process.exit(0);
      }
    });
  `;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH, BETTER_SQLITE3, LEDGER: ledgerPath(home) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('the holder to start', () => out.includes('ready'));
  return {
    lock: async () => {
      child.stdin?.write('lock\n');
      await waitFor('the holder to lock the ledger', () => out.includes('locked'), 10_000, 2);
    },
    release: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.write('release\n');
      await exited;
      expect(out).toContain('released');
    },
  };
}

function snapshotActions(b: Sandbox): number {
  return b.sim.state().actions.filter((a) => a.type === 'snapshot').length;
}

function liveSnapshots(b: Sandbox, dropletId: number): string[] {
  return b.sim
    .state()
    .snapshots.filter((s) => s.deletedAt === null && s.name.startsWith(`arcadia-snap-${dropletId}-`))
    .map((s) => s.name);
}

function integrity(home: string): string {
  const db = new Database(ledgerPath(home), { readonly: true });
  try {
    return (db.pragma('integrity_check', { simple: true }) as string) ?? '';
  } finally {
    db.close();
  }
}

describe('a ledger locked by another process', () => {
  it(
    'locked before the command: one clear line (exit 4), nothing written; after ' + 'release the same commands work',
    async () => {
      box = await sandbox();
      const b = box;
      const env = { ...b.env, ARCADIA_BUSY_TIMEOUT_MS: BUSY_MS };
      const detached = await arcadia(['snapshot', '1002', '--detach', '--json'], b.env);
      expect(detached.code, detached.stderr).toBe(0);
      const pendingId = (JSON.parse(detached.stdout) as { sagaId: string }[])[0]?.sagaId ?? '';
      const before = readSagas(b.home);

      const holder = await ledgerHolder(b.home);
      await holder.lock();
      const started = Date.now();
      // One after the other: each would otherwise see the others' executors as owners.
      const plain = await arcadia(['snapshot', '1001'], env);
      const json = await arcadia(['snapshot', '1001', '--json'], env);
      const resume = await arcadia(['saga', 'resume', pendingId], env);
      expect(Date.now() - started, 'a refused command waited for the holder').toBeLessThan(30_000);
      await holder.release();

      for (const [what, r] of Object.entries({ plain, resume })) {
        expect(r.code, `${what}: ${r.stdout}${r.stderr}`).toBe(4);
        const line = expectOneErrorLine(r, what);
        expect(line).toContain(ledgerPath(b.home));
        expect(line).toContain(`${BUSY_MS} ms`);
        expect(line).toContain('ARCADIA_BUSY_TIMEOUT_MS');
      }
      expect(json.code).toBe(4);
      const error = expectJsonError(json, 'snapshot --json');
      expect(error.code).toBe('ledger_busy');
      expect(error.message).toContain(ledgerPath(b.home));

      // Nothing half-written: the same sagas, the pending one untouched, no action started at the provider.
      const after = readSagas(b.home);
      expect(after.map((s) => s.id)).toEqual(before.map((s) => s.id));
      const pending = after.find((s) => s.id === pendingId);
      expect(pending?.status).toBe('pending');
      expect(pending?.owner).toBeNull();
      expect(pending?.steps.map((s) => s.status)).toEqual(['pending']);
      expect(snapshotActions(b)).toBe(0);
      expect(integrity(b.home)).toBe('ok');
      // A refused executor leaves no lock file claiming the saga.
      expect.soft(existsSync(join(b.home, 'locks')) ? readdirSync(join(b.home, 'locks')) : []).toEqual([]);

      // Released: the very same commands now work, and finish the pending saga too (orphans first).
      const again = await arcadia(['snapshot', '1001', '--json'], env);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      const resumed = await arcadia(['saga', 'resume', pendingId], env);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(readSagas(b.home).map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
      expect(liveSnapshots(b, 1001)).toHaveLength(1);
      expect(liveSnapshots(b, 1002)).toHaveLength(1);
      expect(invariantViolations(b.home, b.sim)).toEqual([]);
    },
  );

  it(
    'locked mid-saga (snapshot action in flight): a clear error naming the ledger; rerunning the command ' +
      'completes the saga, one snapshot',
    async () => {
      box = await sandbox(SLOW_SNAPSHOT);
      const b = box;
      const env = { ...b.env, ARCADIA_BUSY_TIMEOUT_MS: BUSY_MS };
      expect((await arcadia(['saga', 'list'], b.env)).code).toBe(0); // the ledger exists for the holder to open
      const holder = await ledgerHolder(b.home);
      const run = start(['snapshot', '1001'], env);
      let finished: RunResult | undefined;
      void run.done.then((r) => (finished = r));
      await waitFor('the snapshot action to start', () => snapshotActions(b) === 1 || finished !== undefined);
      expect(finished, 'the snapshot finished before the lock could be taken').toBeUndefined();
      await holder.lock();
      const interrupted = await run.done;
      await holder.release();

      const text = interrupted.stdout + interrupted.stderr;
      expect(interrupted.code, text).not.toBe(0);
      expect(text).toContain(ledgerPath(b.home));
      expect(text).toContain('ARCADIA_BUSY_TIMEOUT_MS');
      // README: exit 1 means "rolled back ... nothing was left behind"; this saga is unfinished, a setup problem (4).
      expect.soft(interrupted.code, text).toBe(4);

      const [saga] = readSagas(b.home);
      expect(saga?.status).toBe('running');
      expect(integrity(b.home)).toBe('ok');

      // The same command again: it finishes the interrupted saga as this run's snapshot and takes no second one.
      const again = await arcadia(['snapshot', '1001', '--json'], b.env);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      const [entry] = JSON.parse(again.stdout) as { sagaId: string; status: string }[];
      expect(entry).toMatchObject({ sagaId: saga?.id, status: 'succeeded' });
      expect(readSagas(b.home)).toHaveLength(1);
      expect(snapshotActions(b)).toBe(1);
      expect(liveSnapshots(b, 1001)).toHaveLength(1);
      expect(invariantViolations(b.home, b.sim)).toEqual([]);
    },
  );
});

/** Mounts a tiny tmpfs (root only): the realistic way to make a write fail with ENOSPC while everything else works. */
function tinyTmpfs(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'arcadia-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  cleanups.push(() => {
    try {
      execFileSync('umount', [dir], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Fills the file system holding `dir` to the last byte; returns a function that frees it again. */
function fill(dir: string): () => void {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  for (const size of [1 << 16, 4096, 512, 1]) {
    const chunk = Buffer.alloc(size, 0x61);
    for (;;) {
      try {
        if (writeSync(fd, chunk) < size) break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw error;
      }
    }
  }
  closeSync(fd);
  return () => rmSync(path, { force: true });
}

describe('a write that fails mid-saga (disk full)', () => {
  it('clear error naming the ledger; after space is freed the saga resumes to exactly one snapshot', async (ctx) => {
    const mount = tinyTmpfs();
    if (!mount) {
      ctx.skip('mounting a tmpfs needs root (CAP_SYS_ADMIN); nothing else makes a write fail mid-saga reliably');
      return;
    }
    const home = join(mount, 'home');
    mkdirSync(home, { mode: 0o700 });
    box = await sandbox(SLOW_SNAPSHOT, { ARCADIA_HOME: home });
    const b = box;
    const created = await arcadia(['saga', 'list'], b.env); // the ledger exists before the disk fills
    expect(created.code, created.stderr).toBe(0);

    const run = start(['snapshot', '1001'], b.env);
    let finished: RunResult | undefined;
    void run.done.then((r) => (finished = r));
    await waitFor('the snapshot action to start', () => snapshotActions(b) === 1 || finished !== undefined);
    expect(finished, 'the snapshot finished before the disk could be filled').toBeUndefined();
    const free = fill(mount);
    expect(statfsSync(mount).bavail).toBe(0);
    const failed = await run.done;
    free();

    const text = failed.stdout + failed.stderr;
    expect(failed.code, text).not.toBe(0);
    expect(text).toContain(ledgerPath(home));
    expect(text).toMatch(/full/i);
    expect.soft(failed.code, text).toBe(4);
    expect(integrity(home)).toBe('ok');
    const [saga] = readSagas(home);
    expect(saga && ['running', 'compensating'].includes(saga.status), `saga left ${saga?.status}`).toBe(true);

    const again = await arcadia(['snapshot', '1001', '--json'], b.env);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { sagaId: string; status: string }[])[0]).toMatchObject({
      sagaId: saga?.id,
      status: 'succeeded',
    });
    expect(readSagas(home)).toHaveLength(1);
    expect(liveSnapshots(b, 1001)).toHaveLength(1);
    expect(invariantViolations(home, b.sim)).toEqual([]);
    // Heartbeats that failed for want of space leave no temporary files behind.
    expect.soft(readdirSync(join(home, 'locks')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('a snapshot someone else started on the droplet at the same time', () => {
  it('is waited for, never adopted: the saga takes its own snapshot and leaves the other alone', async () => {
    // e.g. an operator in the control panel, or another arcadia with its own ledger, a moment before this run.
    box = await sandbox();
    const b = box;
    const created = await arcadia(['snapshot', '1001', '--detach', '--json'], b.env);
    expect(created.code, created.stderr).toBe(0);
    const sagaId = (JSON.parse(created.stdout) as { sagaId: string }[])[0]?.sagaId ?? '';
    // Warm up (module loading) so that nothing slow stands between the other POST and ours; the other snapshot takes
    // 6 s (room for a loaded machine), ours is quick.
    expect((await inProcess(['saga', 'show', sagaId], b.env)).code).toBe(0);
    b.sim.configure({ actionDurationMs: { snapshot: 6000 } });
    const foreign = await fetch(`${b.sim.url}/v2/droplets/1001/actions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${b.env.DIGITALOCEAN_ACCESS_TOKEN ?? ''}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'snapshot', name: 'manual-before-upgrade' }),
    });
    expect(foreign.status).toBe(201);
    b.sim.configure({ actionDurationMs: { snapshot: FAST_SIMULATOR.actionDurationMs?.snapshot ?? 300 } });

    // In this process (runCli, what the binary runs), so no Node start-up stands between the other POST and ours.
    const run = await inProcess(['saga', 'resume', sagaId, '--json'], { ...b.env, ARCADIA_LOOKUP_ATTEMPTS: '15' });
    const refusedWhileBusy = b.sim.state().requests.filter((r) => r.method === 'POST' && r.status === 422).length;
    expect(
      refusedWhileBusy,
      'arcadia did not meet the other snapshot in flight: the scenario was not reached',
    ).toBeGreaterThan(0);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { status: string }).status).toBe('succeeded');
    const live = b.sim
      .state()
      .snapshots.filter((s) => s.deletedAt === null)
      .map((s) => s.name);
    expect(live).toContain('manual-before-upgrade');
    expect(liveSnapshots(b, 1001)).toHaveLength(1);
    expect(invariantViolations(b.home, b.sim)).toEqual([]);
  });
});
