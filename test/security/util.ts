import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { systemClock } from '../../src/engine/clock.js';
import { readSagas, start, type RunResult } from '../e2e/harness.js';

/** NODE_OPTIONS that make a spawned arcadia exit 99 before it connects anywhere but loopback (see no-egress.mjs). */
export const NO_EGRESS: NodeJS.ProcessEnv = {
  NODE_OPTIONS: `--import ${pathToFileURL(fileURLToPath(new URL('./no-egress.mjs', import.meta.url))).href}`,
};

export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

/** A usage/config refusal in plain mode: exactly one `error:` line on stderr, nothing on stdout. */
export function expectOneErrorLine(run: RunResult, what: string): string {
  const errLines = lines(run.stderr);
  expect(errLines, `${what}: stderr should be exactly one line:\n${run.stderr}`).toHaveLength(1);
  expect(errLines[0], what).toMatch(/^error: \S/);
  expect(run.stdout, `${what}: stdout should be empty`).toBe('');
  return errLines[0] ?? '';
}

export interface JsonError {
  error: { code: string; message: string };
}

/** A refusal in --json mode: exactly one `{"error":{"code","message"}}` object on stdout, nothing on stderr. */
export function expectJsonError(run: RunResult, what: string): JsonError['error'] {
  expect(run.stderr, `${what}: stderr should be empty in --json mode`).toBe('');
  let parsed: unknown;
  expect(
    () => (parsed = JSON.parse(run.stdout)),
    `${what}: stdout is not one JSON document:\n${run.stdout}`,
  ).not.toThrow();
  expect(lines(run.stdout), `${what}: one JSON object on one line`).toHaveLength(1);
  expect(parsed, what).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  return (parsed as JsonError).error;
}

/** Every file under `dir` (recursively), with its bytes; missing dir gives nothing. */
export function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  if (!existsSync(dir)) return [];
  const out: { path: string; bytes: Buffer }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) {
      try {
        out.push({ path, bytes: readFileSync(path) });
      } catch {
        // removed between listing and reading (a lock file let go of)
      }
    }
  }
  return out;
}

/** The ledger's bytes (main file, WAL and shared memory) and saga count, to show a refused command changed nothing. */
export interface LedgerFingerprint {
  files: Record<string, string>;
  sagas: number;
}

export function ledgerFingerprint(home: string): LedgerFingerprint {
  const files = ledgerBytes(home);
  return { files, sagas: existsSync(join(home, 'arcadia.db')) ? readSagas(home).length : 0 };
}

/** Bytes only (reading sagas opens the ledger, which a byte comparison must not count). */
export function ledgerBytes(home: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const suffix of ['', '-wal', '-shm']) {
    const path = join(home, `arcadia.db${suffix}`);
    if (existsSync(path)) files[`arcadia.db${suffix}`] = readFileSync(path).toString('base64');
  }
  return files;
}

export function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** Control characters that could move a cursor, rewrite a screen or fake a log line; \n between lines is fine. */

export const UNSAFE_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Like harness `arcadia`, in a chosen working directory. */
export function arcadiaIn(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return start(args, env, cwd).done;
}

function sink(): { stream: NodeJS.WritableStream; text: () => string } {
  let text = '';
  const stream = {
    write: (chunk: string | Uint8Array) => ((text += chunk.toString()), true),
  } as unknown as NodeJS.WritableStream;
  return { stream, text: () => text };
}

/**
 * runCli in this process (what bin/arcadia.js runs, less its umask and process.exit), shaped like a spawned run:
 * for tables of refusals, where a process per case would cost seconds and prove nothing more.
 */
export async function inProcess(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(args, {
    env,
    streams: { stdout: stdout.stream, stderr: stderr.stream },
    clock: systemClock,
  });
  return { code, signal: null, stdout: stdout.text(), stderr: stderr.text() };
}
