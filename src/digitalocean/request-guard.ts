/** A read (GET) or a write (POST, DELETE): writes are what a superseded executor must never send. */
export type RequestKind = 'read' | 'write';

/**
 * How the caller fences its requests beyond the client: the client knows nothing of leases, the caller (a saga's
 * step, through the runner) does.
 */
export interface RequestGuard {
  /** Aborts the pacer's waits, retry waits and the fetch itself (a cancel, a lost lease). */
  readonly signal: AbortSignal;
  /**
   * Awaited immediately before each attempt leaves the process, after every wait: rejects to stop it (a lease taken
   * over while this process was paused). The check may ask a remote ledger; the transport checks the signal again
   * once it resolves, so a cancel or lost lease noticed meanwhile still stops the attempt.
   */
  beforeRequest(kind: RequestKind): Promise<void> | void;
  /**
   * How long a check that passed now stays good: once this has gone by, nobody can say the lease is still held, so a
   * request whose connection is ready later is not written and is checked again (send-gate.ts). Without it, a checked
   * request is written whenever its connection is ready.
   */
  sendWindowMs?(): number;
  /**
   * Sent as `x-arcadia-saga` and `x-arcadia-epoch`, so a provider's request log (the simulator's) can tell a
   * superseded executor's requests from its successor's. Neither is a secret.
   */
  readonly holder?: { sagaId: string; epoch: number };
}

export function requestKind(method: string): RequestKind {
  return method === 'GET' ? 'read' : 'write';
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
