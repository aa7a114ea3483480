import { Agent } from 'undici';
import type { Dispatcher } from 'undici-types';

/**
 * The last fence before a request's bytes are written. The lease check runs before fetch, but fetch may then still
 * open a connection (and a process may be paused, SIGSTOP or a frozen VM, anywhere in between): a check is only good
 * for a while, since another executor may take the lease over once it is stale. undici calls a request's
 * `onConnect` synchronously right before it writes the request to its socket; the gate closes there when the check
 * is older than its window, so the request is never written and the caller checks again.
 */
export interface SendGate {
  /** For fetch's `dispatcher` option: the process's own dispatcher, with the gate in front of each request. */
  readonly dispatcher: Dispatcher;
  /** Set when the gate stopped the request: it never reached the socket. */
  readonly refusal: SendWindowClosedError | undefined;
}

export interface GateClocks {
  /** Wall time: counts a suspended machine too. */
  wall(): number;
  /** Monotonic time: immune to the wall clock being set back. */
  monotonic(): number;
}

const SYSTEM_CLOCKS: GateClocks = { wall: () => Date.now(), monotonic: () => performance.now() };

/** Why the gate aborted a request: its check had expired by the time its connection was ready. */
export class SendWindowClosedError extends Error {
  constructor(readonly windowMs: number) {
    super(`not sent: the lease check was older than ${windowMs} ms when the connection was ready`);
  }
}

let processAgent: Agent | undefined;

/**
 * The process's connection pool for guarded requests, made on first use. Node's own fetch dispatcher is not reachable
 * before the first fetch, so the pool comes from the undici package (the same major version as Node 20's fetch, whose
 * handlers it takes as they are).
 */
function processDispatcher(): Dispatcher {
  processAgent ??= new Agent();
  return processAgent as unknown as Dispatcher;
}

/**
 * A gate open for `windowMs` from now (by both clocks); a window of 0 or less lets nothing through. `through`: the
 * dispatcher behind the gate (tests put a slow one there), by default the process's.
 */
export function sendGate(windowMs: number, options: { clocks?: GateClocks; through?: Dispatcher } = {}): SendGate {
  const clocks = options.clocks ?? SYSTEM_CLOCKS;
  const base = options.through ?? processDispatcher();
  const openedWall = clocks.wall();
  const openedMonotonic = clocks.monotonic();
  const expired = (): boolean =>
    windowMs <= 0 || clocks.wall() - openedWall > windowMs || clocks.monotonic() - openedMonotonic > windowMs;
  const state: { refusal?: SendWindowClosedError } = {};
  const gateHandler = (handler: Dispatcher.DispatchHandlers): Dispatcher.DispatchHandlers =>
    new Proxy(handler, {
      get(target, property, receiver) {
        if (property === 'onConnect') {
          return (abort: (error?: Error) => void): void => {
            target.onConnect?.(abort);
            if (!expired()) return;
            state.refusal = new SendWindowClosedError(windowMs);
            abort(state.refusal);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  // fetch calls nothing of its dispatcher but dispatch (the pool, keep-alive and close stay the process's).
  const dispatcher = {
    dispatch: (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean =>
      base.dispatch(options, gateHandler(handler)),
  } as Dispatcher;
  return {
    dispatcher,
    get refusal() {
      return state.refusal;
    },
  };
}
