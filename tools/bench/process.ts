import { minimalEnv, spawnArcadia, spawnNode, type ProcessResult } from '../lib/spawn-arcadia.js';

export type ProcessRun = ProcessResult;

/** Runs `node <args>` to its end with piped stdio (as under cron), timing spawn to close. */
export function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<ProcessRun> {
  return spawnNode(args, { env }).done;
}

export function runArcadia(args: string[], env: NodeJS.ProcessEnv): Promise<ProcessRun> {
  return spawnArcadia(args, { env }).done;
}

/** Fails loudly (benchmarks measure nothing useful from a failed command). */
export function expectExit(run: ProcessRun, what: string, codes: number[] = [0]): ProcessRun {
  if (run.code === null || !codes.includes(run.code)) {
    throw new Error(`${what} exited ${run.code}:\n${run.stderr.slice(-2000)}\n${run.stdout.slice(-2000)}`);
  }
  return run;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Only what arcadia needs: no inherited ARCADIA_* or tokens from the shell that runs the bench. */
export function baseEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return minimalEnv({ env: extra });
}

export function met(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}

/** Runs each command `runs` times, interleaved (a, b, c, a, b, c, ...), so drift hits all alike; times per key. */
export async function interleaved(
  commands: Record<string, () => Promise<ProcessRun>>,
  runs: number,
): Promise<Record<string, number[]>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [key, run] of Object.entries(commands)) times[key]!.push((await run()).ms);
  }
  return times;
}
