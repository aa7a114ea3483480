import { CommanderError } from 'commander';
import { DigitalOceanAuthError } from '../digitalocean/errors.js';
import {
  LedgerBusyError,
  LedgerCorruptError,
  LedgerRowError,
  LedgerSchemaError,
  LedgerTooNewError,
  LedgerUnavailableError,
} from '../db/errors.js';
import {
  AmbiguousSagaIdError,
  InterruptedError,
  LeaseLostError,
  SagaNotFoundError,
  SagaNotResumableError,
  SagaOwnedError,
  SagaStepNotKnownError,
  UnknownStepError,
} from '../engine/errors.js';
import type { SagaStatus } from '../engine/types.js';
import { RestoreRefusedError } from '../sagas/restore/plan-errors.js';
import { SagaTemplateMismatchError } from '../sagas/template-errors.js';
import { ArcadiaError, ConfigError, UsageError } from '../errors.js';
import { UnsafePathError } from '../file-safety.js';

export const EXIT = {
  ok: 0,
  sagaFailed: 1,
  usage: 2,
  owned: 3,
  config: 4,
  needsAttention: 5,
  /** 128 + the signal's number, as shells report a process ended by it (ARCHITECTURE.md, "Interruptions"). */
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * The Nagios plugin variant, used by `arcadia check` alone: monitoring systems read 2 as CRITICAL, so there a bad
 * argument or an unreadable ledger is UNKNOWN (3), never the usage code 2.
 */
export const NAGIOS = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const satisfies Record<string, ExitCode>;
export type NagiosExitCode = (typeof NAGIOS)[keyof typeof NAGIOS];

/** An error of `arcadia check` that the generic mapping must report as Nagios UNKNOWN (its parse errors). */
export class NagiosUnknownError extends ArcadiaError {
  readonly code = 'unknown';
}

/** The one place errors become exit codes (ARCHITECTURE.md, "Interface"). */
export function exitCodeForError(error: unknown): ExitCode {
  if (error instanceof NagiosUnknownError) return NAGIOS.unknown;
  if (error instanceof CommanderError) return EXIT.usage;
  if (error instanceof InterruptedError) return error.signalName === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
  if (
    error instanceof UsageError ||
    error instanceof RestoreRefusedError ||
    error instanceof UnknownStepError ||
    error instanceof SagaNotFoundError ||
    error instanceof AmbiguousSagaIdError ||
    error instanceof SagaNotResumableError
  ) {
    return EXIT.usage;
  }
  if (error instanceof SagaOwnedError || error instanceof LeaseLostError) return EXIT.owned;
  if (
    error instanceof ConfigError ||
    error instanceof UnsafePathError ||
    error instanceof SagaStepNotKnownError ||
    error instanceof SagaTemplateMismatchError ||
    error instanceof DigitalOceanAuthError ||
    error instanceof LedgerUnavailableError ||
    error instanceof LedgerCorruptError ||
    error instanceof LedgerTooNewError ||
    error instanceof LedgerBusyError ||
    error instanceof LedgerSchemaError ||
    error instanceof LedgerRowError
  ) {
    return EXIT.config;
  }
  return EXIT.sagaFailed;
}

export function errorCode(error: unknown): string {
  if (error instanceof ArcadiaError) return error.code;
  if (error instanceof CommanderError) return 'usage';
  return 'internal';
}

export function exitCodeForStatus(status: SagaStatus): ExitCode {
  switch (status) {
    case 'succeeded':
    case 'pending':
    case 'running':
    case 'compensating':
      return EXIT.ok;
    case 'rolled_back':
    case 'cancelled':
      return EXIT.sagaFailed;
    case 'compensation_failed':
      return EXIT.needsAttention;
  }
}

/**
 * A batch exits with its worst member: an interruption (the run did not finish; say so as the shell expects) beats
 * needs attention beats failed beats fine.
 */
export function worstExitCode(codes: ExitCode[]): ExitCode {
  const rank: ExitCode[] = [
    EXIT.terminated,
    EXIT.interrupted,
    EXIT.needsAttention,
    EXIT.owned,
    EXIT.config,
    EXIT.sagaFailed,
    EXIT.usage,
  ];
  return rank.find((code) => codes.includes(code)) ?? EXIT.ok;
}
