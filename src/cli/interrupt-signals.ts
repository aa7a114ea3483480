import { InterruptedError, type InterruptSignal } from '../engine/errors.js';
import { graceExpiredNotice, secondSignalNotice } from '../output/views/interrupt-view.js';
import { EXIT, type ExitCode } from './exit-codes.js';

const SIGNALS: readonly InterruptSignal[] = ['SIGINT', 'SIGTERM'];

export interface InterruptSignalsOptions {
  /** Ends the process: only src/cli/main.ts may call process.exit, so it hands it in. */
  exit: (code: ExitCode) => void;
  /** Says why the process is ending without its usual output (a line on stderr, or a JSON error). */
  notify: (line: string, signalName: InterruptSignal) => void;
  /** How long after the first signal the process is ended anyway, if it has not finished stopping. */
  graceMs: number;
  /** The process to listen on (a stand-in in tests). */
  events?: Pick<NodeJS.Process, 'on' | 'off'>;
}

export interface InterruptWatch {
  /** Aborted with an InterruptedError on the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Stops listening (the command ended) and cancels the grace timer. */
  dispose(): void;
}

function exitCodeFor(signalName: InterruptSignal): ExitCode {
  return signalName === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
}

/**
 * ARCHITECTURE.md, "Interruptions". The first SIGINT or SIGTERM aborts the returned signal, so runners stop at their
 * next wait, record `interrupted` and let go of their leases; if that has not ended the process within the grace time
 * (a request that cannot be aborted), it exits anyway. A second signal exits at once: a SQLite transaction is
 * synchronous and never cut in half by a signal handler, so the sagas are as resumable as after kill -9.
 */
export function watchInterruptSignals(options: InterruptSignalsOptions): InterruptWatch {
  const events = options.events ?? process;
  const controller = new AbortController();
  let grace: NodeJS.Timeout | undefined;
  const onSignal = (signalName: InterruptSignal): void => {
    if (controller.signal.aborted) {
      options.notify(secondSignalNotice(signalName), signalName);
      options.exit(exitCodeFor(signalName));
      return;
    }
    controller.abort(new InterruptedError(signalName));
    grace = setTimeout(() => {
      options.notify(graceExpiredNotice(signalName, options.graceMs), signalName);
      options.exit(exitCodeFor(signalName));
    }, options.graceMs);
    grace.unref();
  };
  const listeners = SIGNALS.map((name) => [name, () => onSignal(name)] as const);
  for (const [name, listener] of listeners) events.on(name, listener);
  return {
    signal: controller.signal,
    dispose: () => {
      if (grace) clearTimeout(grace);
      for (const [name, listener] of listeners) events.off(name, listener);
    },
  };
}
