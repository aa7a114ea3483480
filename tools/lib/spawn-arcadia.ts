import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { packageRoot } from '../../src/package-root.js';

/**
 * The one way tests, `npm run chaos` and `npm run bench` start the built CLI. It runs `bin/arcadia.js` as an
 * installed arcadia runs (through the bundle), so `npm run build` must have run first.
 */
export const ARCADIA_BIN = join(packageRoot(), 'bin', 'arcadia.js');

export interface ChildEnvOptions {
  /** ARCADIA_HOME, and HOME too, so a missing ARCADIA_HOME never reaches the real user's data folder. */
  home?: string;
  /** Variables on top of the minimal base; `undefined` removes one. */
  env?: NodeJS.ProcessEnv;
}

/**
 * A child's whole environment: PATH, no colour, a fixed locale, the given home and variables, and nothing else
 * inherited. No DIGITALOCEAN_* or ARCADIA_* leaks in from the machine, and nothing that slows Node's start-up
 * (NODE_EXTRA_CA_CERTS alone makes `node -e 0` twice as slow, which would skew the bench's start-up ratios).
 */
export function minimalEnv(options: ChildEnvOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', LANG: 'C.UTF-8' };
  if (options.home !== undefined) {
    env.ARCADIA_HOME = options.home;
    env.HOME = options.home;
  }
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export interface SpawnOptions extends ChildEnvOptions {
  /** The child is SIGKILLed after this long and the result says `timedOut`. Default: never. */
  timeoutMs?: number;
  /** Written to the child's stdin, then closed; by default stdin is closed at once (as under cron). */
  stdin?: string;
  cwd?: string;
}

export interface ProcessResult {
  /** The exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** From spawn to the child's exit and closed pipes, on this process's monotonic clock. */
  ms: number;
  /** Wall-clock times of spawn and close (to line a run up with a simulator's request log). */
  startedAt: number;
  endedAt: number;
}

export interface SpawnedProcess {
  child: ChildProcess;
  pid: number;
  /** Settles when the process has exited and its pipes are drained; rejects only when it could not start. */
  done: Promise<ProcessResult>;
  /** Output so far (for waiting on a line before the process ends). */
  stdout(): string;
  stderr(): string;
  /** Sends a signal if the process still runs; resolves when it has exited (for a signal that ends it). */
  kill(signal?: NodeJS.Signals): Promise<ProcessResult>;
  readonly exited: boolean;
}

/** Starts `node ...args` with piped output and the minimal environment. */
export function spawnNode(args: string[], options: SpawnOptions = {}): SpawnedProcess {
  const startedAt = Date.now();
  const start = performance.now();
  const child = spawn(process.execPath, args, {
    env: minimalEnv(options),
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  let stdout = '';
  let stderr = '';
  let exited = false;
  let timedOut = false;
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // A child that exits before reading its input must not turn into an EPIPE error here.
  child.stdin?.on('error', () => {});
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  else child.stdin?.end();
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, options.timeoutMs);
  const done = new Promise<ProcessResult>((resolve, reject) => {
    child.on('error', (error) => {
      exited = true;
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      const ms = performance.now() - start;
      resolve({ code, signal, stdout, stderr, timedOut, ms, startedAt, endedAt: Date.now() });
    });
  });
  if (child.pid === undefined) {
    void done.catch(() => {}); // the 'error' that follows is this throw's
    throw new Error(`could not start ${process.execPath}`);
  }
  return {
    child,
    pid: child.pid,
    done,
    stdout: () => stdout,
    stderr: () => stderr,
    kill: (signal = 'SIGKILL') => {
      if (!exited) child.kill(signal);
      return done;
    },
    get exited() {
      return exited;
    },
  };
}

/** Starts `node bin/arcadia.js ...args`. */
export function spawnArcadia(args: string[], options: SpawnOptions = {}): SpawnedProcess {
  return spawnNode([ARCADIA_BIN, ...args], options);
}
