import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cleanupAfterTest, type TestFinisher } from './cleanup.js';

/** The built CLI (`npm run build` first; `npm test` does it). */
export const ARCADIA_BIN = fileURLToPath(new URL('../../bin/arcadia.js', import.meta.url));

export interface ArcadiaOptions {
  /** ARCADIA_HOME for the child. Omit it only when `env` sets ARCADIA_HOME (or a test wants the default). */
  home?: string;
  /** Extra variables, on top of the clean base (PATH, HOME, NO_COLOR=1, ARCADIA_HOME). `undefined` removes one. */
  env?: NodeJS.ProcessEnv;
  /** The child is SIGKILLed after this long and the result says `timedOut`. Default 30 s. */
  timeoutMs?: number;
  /** Written to the child's stdin, then closed; by default stdin is closed at once. */
  stdin?: string;
  /** Where the child is killed when the test ends (pass the test context in concurrent tests). */
  test?: TestFinisher;
}

export interface ArcadiaResult {
  /** The exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface SpawnedArcadia {
  child: ChildProcess;
  pid: number;
  /** Settles when the process has exited and its pipes are drained. Never rejects. */
  done: Promise<ArcadiaResult>;
  /** Output so far (for waiting on a line before the process ends). */
  stdout(): string;
  stderr(): string;
  /** Sends a signal if the process still runs; resolves when it has exited (for SIGKILL/SIGTERM). */
  kill(signal?: NodeJS.Signals): Promise<ArcadiaResult>;
  /** Whether the process has exited. */
  readonly exited: boolean;
}

/**
 * The environment a child gets: nothing inherited but PATH (no DIGITALOCEAN_* or ARCADIA_* leaking in from the
 * machine running the tests), no colour, and the given home. HOME points at the home too, so a missing
 * ARCADIA_HOME never reaches the real user's data folder.
 */
export function arcadiaEnv(options: Pick<ArcadiaOptions, 'home' | 'env'> = {}): NodeJS.ProcessEnv {
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

const running = new Set<ChildProcess>();

let built = false;

/** Fails clearly when what bin/arcadia.js loads has not been built, instead of a dozen puzzling exit codes. */
export function assertBuilt(): void {
  if (built) return;
  const target = /import\s+['"]([^'"]+)['"]/.exec(readFileSync(ARCADIA_BIN, 'utf8'))?.[1];
  const path = target ? fileURLToPath(new URL(target, new URL('../../bin/', import.meta.url))) : undefined;
  if (path && !existsSync(path)) throw new Error(`${path} is missing: build the CLI first (npm run build, or npm test)`);
  built = true;
}

/** Starts `node bin/arcadia.js ...args`; the child is killed when the test ends if it still runs. */
export function spawnArcadia(args: string[], options: ArcadiaOptions = {}): SpawnedArcadia {
  assertBuilt();
  const started = Date.now();
  const child = spawn(process.execPath, [ARCADIA_BIN, ...args], {
    env: arcadiaEnv(options),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not start arcadia');
  running.add(child);
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  else child.stdin?.end();
  let stdout = '';
  let stderr = '';
  let exited = false;
  let timedOut = false;
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 30_000);
  const done = new Promise<ArcadiaResult>((resolve) => {
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr, timedOut, durationMs: Date.now() - started });
    });
  });
  const handle: SpawnedArcadia = {
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
  cleanupAfterTest(async () => {
    if (!exited) {
      child.kill('SIGKILL'); // also ends a SIGSTOPped child
      await done;
    }
  }, options.test);
  return handle;
}

/** Runs `node bin/arcadia.js ...args` to the end. */
export function runArcadia(args: string[], options: ArcadiaOptions = {}): Promise<ArcadiaResult> {
  return spawnArcadia(args, options).done;
}

/** The non-empty lines a process wrote to one stream. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

/** Parses a `--json` stdout, with the output in the message when it is not JSON. */
export function parseJsonOutput<T = unknown>(result: Pick<ArcadiaResult, 'stdout' | 'stderr' | 'code'>): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'a condition'}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 20));
  }
}

process.once('exit', () => {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});
