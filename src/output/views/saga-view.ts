import type { SagaSummary } from '../../engine/ledger.js';
import type { SagaEvent, SagaOwner, SagaRecord, StepRecord } from '../../engine/types.js';
import { humanDuration, inertJson, isoTime, terminal, TerminalText } from '../format.js';
import type { Output, PaintedCell } from '../output.js';

export interface OwnerView {
  pid: number;
  host: string;
  since: string | null;
}

export interface StepJson {
  idx: number;
  name: string;
  status: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

/** The JSON shape of a saga (ARCHITECTURE.md, "Interface"); list entries leave out steps and context. */
export interface SagaJson {
  id: string;
  kind: string;
  status: string;
  triggeredBy: string;
  deploymentId: string | null;
  batchId: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  owner: OwnerView | null;
  error: string | null;
  steps?: StepJson[];
  context?: Record<string, unknown>;
  events?: EventJson[];
}

export interface EventJson {
  at: string | null;
  step: string | null;
  from: string | null;
  to: string;
  detail: string | null;
  epoch: number;
}

function ownerView(owner: SagaOwner | null): OwnerView | null {
  return owner ? { pid: owner.pid, host: owner.host, since: isoTime(owner.acquiredAt) } : null;
}

function stepJson(step: StepRecord): StepJson {
  return {
    idx: step.idx,
    name: step.name,
    status: step.status,
    attempts: step.attempts,
    startedAt: isoTime(step.startedAt),
    finishedAt: isoTime(step.finishedAt),
    error: step.error,
  };
}

function summaryJson(saga: Omit<SagaRecord, 'steps' | 'context'>): SagaJson {
  return {
    id: saga.id,
    kind: saga.kind,
    status: saga.status,
    triggeredBy: saga.triggeredBy,
    deploymentId: saga.deploymentId,
    batchId: saga.batchId,
    createdAt: isoTime(saga.createdAt),
    updatedAt: isoTime(saga.updatedAt),
    owner: ownerView(saga.owner),
    error: saga.error,
  };
}

export function sagaJson(saga: SagaRecord, events?: SagaEvent[]): SagaJson {
  return {
    ...summaryJson(saga),
    steps: saga.steps.map(stepJson),
    context: saga.context,
    ...(events ? { events: events.map(eventJson) } : {}),
  };
}

function eventJson(event: SagaEvent): EventJson {
  return {
    at: isoTime(event.at),
    step: event.stepName,
    from: event.from,
    to: event.to,
    detail: event.detail,
    epoch: event.epoch,
  };
}

/** An unreadable row is listed with status `unreadable` and what is wrong with it as its error. */
export function sagaListJson(sagas: SagaSummary[]): SagaJson[] {
  return sagas.map((s) =>
    s.unreadable === undefined ? summaryJson(s) : { ...summaryJson(s), status: 'unreadable', error: s.unreadable },
  );
}

function colourStatus(output: Output, status: string): TerminalText {
  const c = output.color;
  switch (status) {
    case 'succeeded':
    case 'compensated':
      return c.green(status);
    case 'failed':
    case 'rolled_back':
    case 'cancelled':
      return c.yellow(status);
    case 'compensation_failed':
      return c.red(status);
    default:
      return c.cyan(status);
  }
}

function statusCell(output: Output, status: string): PaintedCell {
  return { text: status, paint: (text) => colourStatus(output, text) };
}

export function printSagaList(output: Output, sagas: SagaSummary[]): void {
  if (output.mode === 'json') {
    output.json(sagaListJson(sagas));
    return;
  }
  if (sagas.length === 0) {
    output.print('no sagas');
    return;
  }
  const rows = sagas.map((s) => [
    s.id,
    s.kind,
    statusCell(output, s.unreadable === undefined ? s.status : 'unreadable'),
    s.currentStep,
    s.triggeredBy,
    isoTime(s.createdAt),
    humanDuration(s.updatedAt - s.createdAt),
  ]);
  output.print(output.table(['ID', 'KIND', 'STATUS', 'STEP', 'TRIGGERED BY', 'CREATED', 'DURATION'], rows));
}

/** A step that never started reads as skipped once the saga is over: it was not needed, not forgotten. */
function stepStatusLabel(saga: SagaRecord, step: StepRecord): string {
  if (step.status === 'pending' && ['rolled_back', 'cancelled', 'compensation_failed'].includes(saga.status))
    return 'skipped';
  return step.status;
}

/** `restore`, for a restore saga: what it restores, shown under the saga's kind. */
export interface SagaSubject {
  label: string;
  text: string;
}

export function printSagaShow(
  output: Output,
  saga: SagaRecord,
  events: SagaEvent[],
  ownerAlive: boolean | null,
  subject?: SagaSubject,
): void {
  if (output.mode === 'json') {
    output.json(sagaJson(saga, events));
    return;
  }
  const owner = saga.owner
    ? `pid ${saga.owner.pid} on ${saga.owner.host} ` +
      `since ${isoTime(saga.owner.acquiredAt)}${ownerAlive === false ? ' (gone: resume it)' : ''}`
    : 'none';
  output.print(`Saga     ${saga.id}`);
  output.print(`Kind     ${saga.kind}`);
  if (subject) output.print(`${subject.label.padEnd(8)} ${subject.text}`);
  output.print(terminal`Status   ${colourStatus(output, saga.status)}${saga.error ? ` (${saga.error})` : ''}`);
  const deployment = saga.deploymentId ? `, deployment ${saga.deploymentId}` : '';
  output.print(`Trigger  ${saga.triggeredBy}${deployment}${saga.batchId ? `, batch ${saga.batchId}` : ''}`);
  output.print(`Created  ${isoTime(saga.createdAt)}, updated ${isoTime(saga.updatedAt)}`);
  output.print(`Owner    ${owner}`);
  if (saga.recoveryAttempts > 0) output.print(`Recovered ${saga.recoveryAttempts} time(s)`);
  output.print();
  output.print(
    output.table(
      ['#', 'STEP', 'STATUS', 'ATTEMPTS', 'STARTED', 'FINISHED', 'ERROR'],
      saga.steps.map((s) => [
        s.idx,
        s.name,
        statusCell(output, stepStatusLabel(saga, s)),
        s.attempts,
        isoTime(s.startedAt),
        isoTime(s.finishedAt),
        s.error,
      ]),
    ),
  );
  output.print();
  output.print('Context');
  // inert: JSON escapes every control character, newlines in values included
  output.print(new TerminalText(inertJson(saga.context, 2)));
  output.print();
  output.print('History');
  output.print(
    output.table(
      ['AT', 'STEP', 'FROM', 'TO', 'DETAIL'],
      events.map((e) => [isoTime(e.at), e.stepName, e.from, e.to, e.detail]),
    ),
  );
}

/** What `saga start`/`saga resume <id>` print after running a saga. */
export function printSagaOutcome(output: Output, saga: SagaRecord): void {
  if (output.mode === 'json') {
    output.json(sagaJson(saga));
    return;
  }
  const steps = saga.steps.map((s) => `${s.name}: ${stepStatusLabel(saga, s)}`).join(', ');
  const error = saga.error ? ` - ${saga.error}` : '';
  output.print(terminal`saga ${saga.id} ${colourStatus(output, saga.status)} [${steps}]${error}`);
}
