import type { ChildProcess } from 'node:child_process';
import { spawnArcadia } from '../lib/spawn-arcadia.js';
import type { KillPlan } from './plan.js';

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
  /** On top of the spawner's minimal environment (PATH, no colour); it carries ARCADIA_HOME and the simulator. */
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
export async function runArcadia(args: string[], options: SpawnOptions): Promise<ProcessOutcome> {
  const kill = options.kill ?? { kind: 'none' };
  const env =
    kill.kind === 'failpoint' ? { ...options.env, ARCADIA_FAILPOINTS: `${kill.point}@${kill.nth}` } : options.env;
  const spawned = spawnArcadia(args, { env, timeoutMs: options.hangMs });
  options.onSpawn?.(spawned.child);
  const exit = spawned.done.then(
    () => undefined,
    () => undefined,
  );
  let timerFired = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    if (kill.kind !== 'timer') return;
    timer = setTimeout(() => {
      if (!spawned.exited) {
        timerFired = true;
        spawned.child.kill('SIGKILL');
      }
    }, kill.afterMs);
  };
  if (kill.kind === 'timer' && kill.from === 'first-request' && options.firstRequest) {
    void options.firstRequest(exit).then(arm);
  } else arm();
  try {
    const result = await spawned.done;
    let killedBy: ProcessOutcome['killedBy'] = null;
    if (timerFired) killedBy = 'timer';
    else if (result.timedOut) killedBy = 'hang';
    else if (result.signal === 'SIGKILL' && kill.kind === 'failpoint') killedBy = 'failpoint';
    const { code, signal, stdout, stderr } = result;
    return { args, code, signal, killedBy, stdout, stderr, ms: Math.round(result.ms) };
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
