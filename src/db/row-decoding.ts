import { SAGA_STATUSES, type SagaContext, type SagaStatus, type StepStatus } from '../engine/types.js';

/**
 * Decoding of the ledger's text columns. A row arcadia cannot read (a hand edit, a newer version, a torn disk)
 * yields a problem string instead of an exception, so one bad saga cannot break listings of all the others.
 */
export type Decoded<T> = { ok: true; value: T } | { ok: false; problem: string };

const STEP_STATUSES: readonly string[] = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'compensating',
  'compensated',
  'compensation_failed',
] satisfies StepStatus[];

function parseJson(text: string, column: string): Decoded<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, problem: `${column} is not valid JSON (${(error as Error).message.slice(0, 80)})` };
  }
}

export function decodeStepNames(text: string): Decoded<string[]> {
  const parsed = parseJson(text, 'step_names');
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (!Array.isArray(value) || !value.every((name): name is string => typeof name === 'string')) {
    return { ok: false, problem: 'step_names is not a list of step names' };
  }
  return { ok: true, value };
}

export function decodeContext(text: string): Decoded<SagaContext> {
  const parsed = parseJson(text, 'context');
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'context is not a JSON object' };
  }
  return { ok: true, value: value as SagaContext };
}

export function decodeSagaStatus(text: string): Decoded<SagaStatus> {
  return (SAGA_STATUSES as readonly string[]).includes(text)
    ? { ok: true, value: text as SagaStatus }
    : { ok: false, problem: `status "${text.slice(0, 40)}" is not one this arcadia knows` };
}

export function decodeStepStatus(text: string, idx: number): Decoded<StepStatus> {
  return STEP_STATUSES.includes(text)
    ? { ok: true, value: text as StepStatus }
    : { ok: false, problem: `step ${idx} has status "${text.slice(0, 40)}", not one this arcadia knows` };
}
