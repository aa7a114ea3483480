/** Plain JSON values: everything a saga keeps in its context must survive a round trip through the ledger. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type SagaContext = Record<string, Json>;

export const SAGA_KINDS = [
  'provision',
  'suspend',
  'offboard',
  'update',
  'rollback',
  'test',
  'snapshot',
  'reconcile',
  'restore',
  'drill',
] as const;
export type SagaKind = (typeof SAGA_KINDS)[number];

export const SAGA_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'compensating',
  'rolled_back',
  'compensation_failed',
  'cancelled',
] as const;
export type SagaStatus = (typeof SAGA_STATUSES)[number];

export const TERMINAL_SAGA_STATUSES: readonly SagaStatus[] = [
  'succeeded',
  'rolled_back',
  'compensation_failed',
  'cancelled',
];

export type StepStatus =
  'pending' | 'running' | 'succeeded' | 'failed' | 'compensating' | 'compensated' | 'compensation_failed';

/** The context key holding a saga's inputs, as the design fixes it. */
export const INPUTS_KEY = '__inputs__';

export interface StepRecord {
  idx: number;
  name: string;
  status: StepStatus;
  attempts: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Set when the compensation of a step finished; a failed step keeps status `failed` but gains this. */
  compensatedAt: number | null;
  error: string | null;
}

/** Who holds (or last held) the lease on a saga. */
export interface SagaOwner {
  pid: number;
  host: string;
  /** The owner process's start time (ms since epoch), to tell a live owner from a recycled pid. */
  processStartedAt: number | null;
  acquiredAt: number;
}

export interface SagaRecord {
  id: string;
  kind: string;
  status: SagaStatus;
  stepNames: string[];
  context: SagaContext;
  triggeredBy: string;
  deploymentId: string | null;
  batchId: string | null;
  createdAt: number;
  updatedAt: number;
  leaseEpoch: number;
  owner: SagaOwner | null;
  recoveryAttempts: number;
  cancelRequestedAt: number | null;
  error: string | null;
  steps: StepRecord[];
}

export interface SagaEvent {
  id: number;
  sagaId: string;
  at: number;
  stepIdx: number | null;
  stepName: string | null;
  from: string | null;
  to: string;
  detail: string | null;
  epoch: number;
}

export interface NewSaga {
  id: string;
  kind: string;
  stepNames: string[];
  inputs: SagaContext;
  triggeredBy: string;
  deploymentId: string | null;
  batchId: string | null;
}

export function isTerminal(status: SagaStatus): boolean {
  return TERMINAL_SAGA_STATUSES.includes(status);
}
