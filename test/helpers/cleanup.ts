import { onTestFinished } from 'vitest';

/** What a test's context offers for cleanup (vitest's `TestContext` has it); pass it in concurrent tests. */
export interface TestFinisher {
  onTestFinished(fn: () => void | Promise<void>): void;
}

/**
 * Registers `fn` to run when the current test finishes: on the given test context when there is one (the only safe
 * choice in concurrent tests), else on vitest's current test. Returns false outside a test (e.g. in beforeAll), where
 * the caller must clean up itself.
 */
export function cleanupAfterTest(fn: () => void | Promise<void>, test?: TestFinisher): boolean {
  if (test) {
    test.onTestFinished(fn);
    return true;
  }
  try {
    onTestFinished(fn);
    return true;
  } catch {
    return false;
  }
}
