/**
 * Runs `work` over `items` with at most `concurrency` at a time, in order of the items. Once `stop` aborts or a
 * piece of work throws, no further item is started; work under way is always waited for (its sagas must let go of
 * their leases before the command closes the ledger), then the first error is rethrown. Returns the items never
 * started.
 */
export async function runPool<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
  stop?: AbortSignal,
): Promise<T[]> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed && stop?.aborted !== true) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        if (!failed) firstError = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), items.length) }, worker));
  if (failed) throw firstError;
  return items.slice(next);
}
