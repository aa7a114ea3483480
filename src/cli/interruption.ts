import { InterruptedError, interruptionOf } from '../engine/errors.js';

/** Between a command's phases: stop before the next one, naming the sagas it leaves unfinished. */
export function throwIfInterrupted(stop: AbortSignal | undefined, unfinishedSagaIds: readonly string[] = []): void {
  const interruption = interruptionOf(stop);
  if (interruption) throw new InterruptedError(interruption.signalName, unfinishedSagaIds);
}
