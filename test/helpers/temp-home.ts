import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupAfterTest, type TestFinisher } from './cleanup.js';

export interface TempHome {
  /** An empty, owner-only (mkdtemp makes it 0700) folder to use as ARCADIA_HOME. */
  readonly home: string;
  /** A path inside the home. */
  path(...parts: string[]): string;
  /** Removes the folder and everything in it; safe to call twice. */
  cleanup(): void;
}

const live = new Set<string>();

/**
 * A fresh temporary ARCADIA_HOME. Inside a test it is removed when the test finishes (pass the test context in
 * concurrent tests); outside one (beforeAll) call `cleanup()` yourself. Anything left is removed when the worker exits.
 */
export function tempHome(options: { prefix?: string; test?: TestFinisher; autoCleanup?: boolean } = {}): TempHome {
  const home = mkdtempSync(join(tmpdir(), options.prefix ?? 'arcadia-test-'));
  live.add(home);
  const cleanup = (): void => {
    rmSync(home, { recursive: true, force: true });
    live.delete(home);
  };
  if (options.autoCleanup !== false) cleanupAfterTest(cleanup, options.test);
  return { home, path: (...parts) => join(home, ...parts), cleanup };
}

process.once('exit', () => {
  for (const home of live) rmSync(home, { recursive: true, force: true });
});
