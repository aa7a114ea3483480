import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { KillPlan } from './plan.js';

/** The installed entry point, as cron runs it: src/chaos/ and dist/chaos/ both sit two levels under the package root. */
export const BIN = fileURLToPath(new URL('../../bin/arcadia.js', import.meta.url));

export interface ProcessOutcome {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why it died of SIGKILL, if it did: our timer, its own failpoint, or our hard cap on a hung process. */
  killedBy: 'timer' | 'failpoint' | 'hang' | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  kill?: KillPlan;
  /** A process still running after this long is killed and reported as hung. */
  hangMs: number;
  /**
   * For a timed kill counted from the process's first request rather than from spawn: resolves at that request.
   * Given the child's exit as a promise, so it can stop waiting.
   */
  firstRequest?: (exited: Promise<void>) => Promise<void>;
  /** Hears of the child as soon as it is spawned, for signals other than the planned kill (SIGSTOP, SIGCONT). */
  onSpawn?: (child: ChildProcess) => void;
}

/** Runs `node bin/arcadia.js <args>` with piped output (as under cron), crashing it as `kill` says. */
export function runArcadia(args: string[], options: SpawnOptions): Promise<ProcessOutcome> {
  const kill = options.kill ?? { kind: 'none' };
  const env = kill.kind === 'failpoint' ? { ...options.env, ARCADIA_FAILPOINTS: `${kill.point}@${kill.nth}` } : options.env;
  const started = Date.now();
  let exited: () => void = () => {};
  const exit = new Promise<void>((resolve) => (exited = resolve));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    let killedBy: ProcessOutcome['killedBy'] = null;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      if (kill.kind !== 'timer') return;
      timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) {
          killedBy = 'timer';
          child.kill('SIGKILL');
        }
      }, kill.afterMs);
    };
    if (kill.kind === 'timer' && kill.from === 'first-request' && options.firstRequest) void options.firstRequest(exit).then(arm);
    else arm();
    const cap = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) {
        killedBy = 'hang';
        child.kill('SIGKILL');
      }
    }, options.hangMs);
    child.on('error', (error) => {
      exited();
      clearTimeout(timer);
      clearTimeout(cap);
      reject(error);
    });
    child.on('close', (code, signal) => {
      exited();
      clearTimeout(timer);
      clearTimeout(cap);
      if (signal === 'SIGKILL' && killedBy === null && kill.kind === 'failpoint') killedBy = 'failpoint';
      resolve({ args, code, signal, killedBy, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
