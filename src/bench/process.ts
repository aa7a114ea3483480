import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

/** The installed entry point, as a user (or cron) runs it: dist/bench/ and bin/ are siblings under the package root. */
export const BIN = fileURLToPath(new URL('../../bin/arcadia.js', import.meta.url));

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From spawn to the child's exit and closed pipes, on this process's monotonic clock. */
  ms: number;
  startedAt: number;
  endedAt: number;
}

/** Runs `node <args>` to its end with piped stdio (as under cron), timing spawn to close. */
export function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const start = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - start, startedAt, endedAt: Date.now() }));
  });
}

export function runArcadia(args: string[], env: NodeJS.ProcessEnv): Promise<ProcessRun> {
  return runNode([BIN, ...args], env);
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
  return { PATH: process.env.PATH, NO_COLOR: '1', ...extra };
}

export function met(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}

/** Runs each command `runs` times, interleaved (a, b, c, a, b, c, ...), so drift hits all alike; times per key. */
export async function interleaved(commands: Record<string, () => Promise<ProcessRun>>, runs: number): Promise<Record<string, number[]>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [key, run] of Object.entries(commands)) times[key]!.push((await run()).ms);
  }
  return times;
}
