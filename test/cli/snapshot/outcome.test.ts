import { describe, expect, it } from 'vitest';
import {
  dropletOf,
  exitCodeForRun,
  resultOf,
  type DropletOutcome,
} from '../../../src/cli/commands/snapshot/outcome.js';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { INPUTS_KEY, type SagaRecord, type SagaStatus } from '../../../src/engine/types.js';
import { ConfigError } from '../../../src/errors.js';
import { PRUNE_ERROR_KEY } from '../../../src/sagas/snapshot/prune-step.js';

function saga(id: string, dropletId: number, status: SagaStatus, context: SagaRecord['context'] = {}): SagaRecord {
  return {
    id,
    kind: 'snapshot',
    status,
    stepNames: ['create_droplet_snapshot'],
    context: { [INPUTS_KEY]: { droplet_provider_id: dropletId }, ...context },
    triggeredBy: 'manual',
    deploymentId: null,
    batchId: null,
    createdAt: 1_000,
    updatedAt: 4_000,
    leaseEpoch: 1,
    owner: null,
    recoveryAttempts: 0,
    cancelRequestedAt: null,
    error: status === 'succeeded' ? null : 'step failed',
    steps: [],
  };
}

const ran = (record: SagaRecord, resumed = false): DropletOutcome => ({
  kind: 'ran',
  dropletId: dropletOf(record) ?? null,
  saga: record,
  resumed,
});
const succeeded = ran(saga('a', 101, 'succeeded', { snapshot_id: '9', snapshot_name: 'arcadia-snap-101-x' }));

describe('snapshot run outcomes', () => {
  it('a run exits with its worst droplet, resumed orphans included', () => {
    expect(exitCodeForRun([succeeded])).toBe(EXIT.ok);
    expect(exitCodeForRun([succeeded, ran(saga('b', 102, 'rolled_back'), true)])).toBe(EXIT.sagaFailed);
    expect(exitCodeForRun([succeeded, ran(saga('c', 102, 'compensation_failed'), true)])).toBe(EXIT.needsAttention);
    const rolledBack = ran(saga('b', 102, 'rolled_back'), true);
    expect(exitCodeForRun([rolledBack, ran(saga('c', 103, 'compensation_failed'), true)])).toBe(EXIT.needsAttention);
  });

  it('pending (--detach) and skipped droplets are not failures', () => {
    const pending: DropletOutcome = { kind: 'pending', dropletId: 101, sagaId: 'p' };
    const skipped: DropletOutcome = { kind: 'skipped', dropletId: 102, sagaId: 's', reason: 'another run has it' };
    expect(exitCodeForRun([pending, skipped])).toBe(EXIT.ok);
    expect(resultOf(pending)).toMatchObject({ status: 'pending', sagaId: 'p', error: null, resumed: false });
  });

  it("an interrupted droplet exits as its error does, and the error's message is shown", () => {
    const error = new ConfigError('the token was refused');
    const interrupted: DropletOutcome = { kind: 'interrupted', dropletId: 101, sagaId: 'i', error };
    expect(exitCodeForRun([succeeded, interrupted])).toBe(EXIT.config);
    expect(resultOf(interrupted)).toMatchObject({ status: 'interrupted', error: 'the token was refused' });
  });

  it('a retention failure after a good snapshot needs attention', () => {
    const pruneFailed = ran(saga('r', 101, 'succeeded', { [PRUNE_ERROR_KEY]: 'delete refused' }));
    expect(exitCodeForRun([pruneFailed])).toBe(EXIT.needsAttention);
    expect(resultOf(pruneFailed)).toMatchObject({ error: 'retention: delete refused', pruneFailed: true });
  });

  it('a resumed saga is marked so; a finished one carries its snapshot', () => {
    expect(resultOf(ran(saga('b', 102, 'rolled_back'), true))).toMatchObject({ dropletId: 102, resumed: true });
    const shown = { snapshotId: '9', snapshotName: 'arcadia-snap-101-x', durationMs: 3000 };
    expect(resultOf(succeeded)).toMatchObject(shown);
  });
});
