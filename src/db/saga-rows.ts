import type { SagaOwner, SagaRecord, SagaStatus, StepRecord, StepStatus } from '../engine/types.js';
import { decodeSagaStatus, decodeStepNames, decodeStepStatus } from './row-decoding.js';

/**
 * A saga row and a step row as both dialects' Drizzle tables read them (schema.ts and pg-schema.ts infer the same
 * shape: times as numbers, JSON columns as text), and their conversion into the engine's records.
 */
export interface SagaRowShape {
  id: string;
  kind: string;
  status: string;
  stepNames: string;
  context: string;
  triggeredBy: string;
  deploymentId: string | null;
  batchId: string | null;
  createdAt: number;
  updatedAt: number;
  leaseEpoch: number;
  ownerPid: number | null;
  ownerHost: string | null;
  ownerStartedAt: number | null;
  ownerAcquiredAt: number | null;
  recoveryAttempts: number;
  cancelRequestedAt: number | null;
  error: string | null;
}

export interface StepRowShape {
  sagaId: string;
  idx: number;
  name: string;
  status: string;
  attempts: number;
  startedAt: number | null;
  finishedAt: number | null;
  compensatedAt: number | null;
  error: string | null;
}

export function ownerOf(row: SagaRowShape): SagaOwner | null {
  if (row.ownerPid === null || row.ownerHost === null) return null;
  return {
    pid: row.ownerPid,
    host: row.ownerHost,
    processStartedAt: row.ownerStartedAt,
    acquiredAt: row.ownerAcquiredAt ?? row.updatedAt,
  };
}

export function toStep(row: StepRowShape): StepRecord {
  return {
    idx: row.idx,
    name: row.name,
    // Checked by stepProblem before a record is handed out.
    status: row.status as StepStatus,
    attempts: row.attempts,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    compensatedAt: row.compensatedAt,
    error: row.error,
  };
}

export function stepProblem(rows: StepRowShape[]): string | null {
  for (const row of rows) {
    const status = decodeStepStatus(row.status, row.idx);
    if (!status.ok) return status.problem;
  }
  return null;
}

/**
 * The row's summary and what makes it unreadable, if anything. An unreadable row's summary keeps the raw status
 * and an empty step list: it is only ever shown flagged as unreadable, never driven.
 */
export function toSummary(row: SagaRowShape): {
  summary: Omit<SagaRecord, 'steps' | 'context'>;
  problem: string | null;
} {
  const stepNames = decodeStepNames(row.stepNames);
  const status = decodeSagaStatus(row.status);
  const problem = !status.ok ? status.problem : !stepNames.ok ? stepNames.problem : null;
  const summary = {
    id: row.id,
    kind: row.kind,
    status: status.ok ? status.value : (row.status as SagaStatus),
    stepNames: stepNames.ok ? stepNames.value : [],
    triggeredBy: row.triggeredBy,
    deploymentId: row.deploymentId,
    batchId: row.batchId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    leaseEpoch: row.leaseEpoch,
    owner: ownerOf(row),
    recoveryAttempts: row.recoveryAttempts,
    cancelRequestedAt: row.cancelRequestedAt,
    error: row.error,
  };
  return { summary, problem };
}

/** Saga ids are UUIDs: a prefix of anything else matches nothing (and cannot smuggle a pattern character). */
export const SAGA_ID_PREFIX = /^[0-9a-f-]{1,36}$/;
