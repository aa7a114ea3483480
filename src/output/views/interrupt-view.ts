import type { Output } from '../output.js';

/** What an interrupted command left behind: the signal and the sagas still unfinished (all resumable). */
export interface Interruption {
  signalName: string;
  sagaIds: readonly string[];
}

/** The command that resumes what an interruption left: the saga itself, or `--all` for several. */
export function resumeCommand(sagaIds: readonly string[]): string | null {
  if (sagaIds.length === 0) return null;
  return sagaIds.length === 1 ? `arcadia saga resume ${sagaIds[0]}` : 'arcadia saga resume --all';
}

function summary({ signalName, sagaIds }: Interruption): string {
  if (sagaIds.length === 0)
    return `interrupted by ${signalName}; nothing was rolled back and no saga is left unfinished`;
  const count = sagaIds.length === 1 ? '1 saga is' : `${sagaIds.length} sagas are`;
  return `interrupted by ${signalName}; nothing was rolled back; ${count} unfinished`;
}

/**
 * The lines saying which sagas are unfinished and how to resume them, on stderr (results stay on stdout); silent in
 * JSON mode, where the command's own JSON marks them.
 */
export function printResumeHint(output: Output, interruption: Interruption): void {
  output.progress(summary(interruption));
  for (const id of interruption.sagaIds) output.progress(`  unfinished: saga ${id}`);
  const command = resumeCommand(interruption.sagaIds);
  if (command) output.progress(`resume with: ${command}`);
}

/** A command stopped by an interruption before it had results to print: an error object in JSON mode. */
export function printInterrupted(output: Output, interruption: Interruption): void {
  if (output.mode !== 'json') {
    printResumeHint(output, interruption);
    return;
  }
  const command = resumeCommand(interruption.sagaIds);
  output.error('interrupted', `${summary(interruption)}${command ? `; resume with: ${command}` : ''}`, {
    signal: interruption.signalName,
    unfinishedSagaIds: interruption.sagaIds,
    resumeCommand: command,
  });
}

/** Said at once when a second signal ends the process without waiting (kill -9 semantics for the sagas). */
export function secondSignalNotice(signalName: string): string {
  return `${signalName} again: exiting now; unfinished sagas stay resumable (arcadia saga resume --all)`;
}

/** Said when an interrupted process did not stop within its grace time (a request still in flight). */
export function graceExpiredNotice(signalName: string, graceMs: number): string {
  const resume = 'unfinished sagas stay resumable (arcadia saga resume --all)';
  return `${signalName}: still not stopped after ${graceMs} ms; exiting now; ${resume}`;
}
