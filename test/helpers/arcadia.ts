import { type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  ARCADIA_BIN,
  minimalEnv,
  spawnArcadia as spawnBuilt,
  type ChildEnvOptions,
} from '../../tools/lib/spawn-arcadia.js';
import { cleanupAfterTest, type TestFinisher } from './cleanup.js';

/** The built CLI (`npm run build` first; `npm test` does it). */
export { ARCADIA_BIN };

export interface ArcadiaOptions extends ChildEnvOptions {
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

/** The environment a child gets (see minimalEnv): PATH, no colour, the given home and variables, nothing else. */
export function arcadiaEnv(options: ChildEnvOptions = {}): NodeJS.ProcessEnv {
  return minimalEnv(options);
}

const running = new Set<ChildProcess>();

let built = false;

/** Fails clearly when what bin/arcadia.js loads has not been built, instead of a dozen puzzling exit codes. */
export function assertBuilt(): void {
  if (built) return;
  const target = /import\s+['"]([^'"]+)['"]/.exec(readFileSync(ARCADIA_BIN, 'utf8'))?.[1];
  const path = target ? resolve(dirname(ARCADIA_BIN), target) : undefined;
  if (path && !existsSync(path))
    throw new Error(`${path} is missing: build the CLI first (npm run build, or npm test)`);
  built = true;
}

/** Starts `node bin/arcadia.js ...args`; the child is killed when the test ends if it still runs. */
export function spawnArcadia(args: string[], options: ArcadiaOptions = {}): SpawnedArcadia {
  assertBuilt();
  const spawned = spawnBuilt(args, { ...options, timeoutMs: options.timeoutMs ?? 30_000 });
  const { child } = spawned;
  running.add(child);
  const done = spawned.done.then((r): ArcadiaResult => ({
    code: r.code,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    timedOut: r.timedOut,
    durationMs: Math.round(r.ms),
  }));
  void done.finally(() => running.delete(child));
  const handle: SpawnedArcadia = {
    child,
    pid: spawned.pid,
    done,
    stdout: spawned.stdout,
    stderr: spawned.stderr,
    kill: async (signal = 'SIGKILL') => {
      await spawned.kill(signal);
      return done;
    },
    get exited() {
      return spawned.exited;
    },
  };
  cleanupAfterTest(async () => {
    if (!spawned.exited) {
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
