/** Asked before each item starts: lets a pool slow down (the hourly API quota) without stopping. */
export interface StartGate {
  /** Whether one more item may start, with `inFlight` under way and `waiting` not started (this one included). */
  mayStart(inFlight: number, waiting: number): boolean;
}

/**
 * Runs `work` over `items` with at most `concurrency` at a time, in order of the items. Once `stop` aborts or a
 * piece of work throws, no further item is started; work under way is always waited for (its sagas must let go of
 * their leases before the command closes the ledger), then the first error is rethrown. A `gate` that says no
 * holds the next start until a piece of work under way ends; with nothing under way an item always starts, so the
 * pool never stalls. Returns the items never started.
 */
export async function runPool<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
  stop?: AbortSignal,
  gate?: StartGate,
): Promise<T[]> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  let inFlight = 0;
  let ended = signalled();
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed && stop?.aborted !== true) {
      if (gate && inFlight > 0 && !gate.mayStart(inFlight, items.length - next)) {
        await ended.promise;
        continue;
      }
      const item = items[next++] as T;
      inFlight += 1;
      try {
        await work(item);
      } catch (error) {
        if (!failed) firstError = error;
        failed = true;
      } finally {
        inFlight -= 1;
        ended.resolve();
        ended = signalled();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), items.length) }, worker));
  if (failed) throw firstError;
  return items.slice(next);
}

/** A promise and the function that resolves it (Promise.withResolvers is not in Node 20). */
function signalled(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
