import { describe, expect, it } from 'vitest';
import { newSaga, readEvents, readSaga, withLedger } from '../helpers/ledger.js';
import { tempHome } from '../helpers/temp-home.js';
import { expectJsonError, inProcess, ledgerBytes } from '../security/util.js';

/**
 * A saga in the ledger that this arcadia would not have built (hand-written, or by a newer version) is refused before
 * anything runs: exit 4, the saga left as it was, and under --all the other orphans still run.
 */

function env(home: string): NodeJS.ProcessEnv {
  return { ARCADIA_HOME: home, HOME: home, NO_COLOR: '1', PATH: process.env.PATH ?? '/usr/bin:/bin' };
}

function seed(home: string, kind: string, stepNames: string[]): string {
  const saga = newSaga({ kind, stepNames, inputs: { droplet_provider_id: 7 } });
  return withLedger(home, ({ core }) => core.createSaga(saga, 1_000).id);
}

describe('resuming a saga arcadia would not build', () => {
  it('refuses a snapshot saga of nothing but power_off_droplet: exit 4, nothing run, ledger untouched', async () => {
    const { home } = tempHome();
    const id = seed(home, 'snapshot', ['power_off_droplet']);
    const before = ledgerBytes(home);

    const run = await inProcess(['saga', 'resume', id, '--json'], env(home));

    expect(run.code).toBe(4);
    const error = expectJsonError(run, 'template mismatch');
    expect(error.code).toBe('saga_template_mismatch');
    expect(error.message).toContain(id);
    expect(error.message).toContain('power_off_droplet');
    expect(ledgerBytes(home)).toEqual(before);
  });

  it('saga cancel refuses it too, before recording the cancel request', async () => {
    const { home } = tempHome();
    const id = seed(home, 'snapshot', ['power_off_droplet']);
    const before = ledgerBytes(home);

    const run = await inProcess(['saga', 'cancel', id, '--json'], env(home));

    expect(run.code).toBe(4);
    expect(expectJsonError(run, 'cancel of a forged saga').code).toBe('saga_template_mismatch');
    expect(ledgerBytes(home)).toEqual(before);
  });

  it('refuses a saga whose step rows differ from its recorded step list', async () => {
    const { home } = tempHome();
    const id = seed(home, 'snapshot', ['create_droplet_snapshot']);
    withLedger(home, ({ db }) => {
      db.prepare(`UPDATE saga_step_results SET name = 'power_off_droplet' WHERE saga_id = ?`).run(id);
    });

    const run = await inProcess(['saga', 'resume', id], env(home));

    expect(run.code).toBe(4);
    expect(run.stderr).toContain('step rows differ');
    expect(readSaga(home, id)).toMatchObject({ status: 'pending', leaseEpoch: 0 });
  });

  it('halts on a step this version does not know: exit 4 naming it, the saga untouched, resumable', async () => {
    const { home } = tempHome();
    const id = seed(home, 'test', ['noop', 'teleport_droplet']);
    const before = ledgerBytes(home);

    const run = await inProcess(['saga', 'resume', id, '--json'], env(home));

    expect(run.code).toBe(4);
    const error = expectJsonError(run, 'unknown step');
    expect(error.code).toBe('step_not_known');
    expect(error.message).toContain('"teleport_droplet"');
    expect(ledgerBytes(home)).toEqual(before);
    expect(readEvents(home, id).map((e) => e.to)).toEqual(['pending']);
  });

  it('under --all, refuses those (exit 4) and still runs the other orphans', async () => {
    const { home } = tempHome();
    const forged = seed(home, 'snapshot', ['power_off_droplet']);
    const future = seed(home, 'test', ['teleport_droplet']);
    const fine = seed(home, 'test', ['noop']);

    const run = await inProcess(['saga', 'resume', '--all', '--json'], env(home));

    expect(run.code, run.stderr).toBe(4);
    expect((JSON.parse(run.stdout) as { id: string }[]).map((s) => s.id)).toEqual([fine]);
    expect(readSaga(home, fine).status).toBe('succeeded');
    for (const id of [forged, future]) expect(readSaga(home, id)).toMatchObject({ status: 'pending', leaseEpoch: 0 });
  });

  it('accepts every variant of the snapshot saga arcadia builds (the check stops no real saga)', async () => {
    const { sagaTemplateProblem } = await import('../../src/sagas/registry.js');
    const { snapshotSagaTemplate } = await import('../../src/sagas/snapshot/snapshot-saga.js');
    for (const powerOff of [false, true]) {
      for (const keep of [undefined, 3]) {
        const t = snapshotSagaTemplate({ dropletId: 1, powerOff, ...(keep ? { keep } : {}) });
        expect(sagaTemplateProblem(t.kind, t.stepNames)).toBeNull();
      }
    }
    expect(sagaTemplateProblem('reconcile', ['delete_leaked_snapshots'])).toBeNull();
    expect(sagaTemplateProblem('test', ['create_droplet_snapshot', 'fail'])).toBeNull();
    expect(sagaTemplateProblem('snapshot', ['create_droplet_snapshot', 'fail'])).not.toBeNull();
    expect(sagaTemplateProblem('nonsense', ['noop'])).not.toBeNull();
  });

  it('saga start refuses a snapshot-kind saga with steps no snapshot saga has (exit 2, nothing recorded)', async () => {
    const { home } = tempHome();
    const run = await inProcess(['saga', 'start', '--kind', 'snapshot', '--step', 'power_off_droplet'], env(home));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('matches no saga arcadia builds');
    expect(withLedger(home, ({ core }) => core.listSagas({}))).toEqual([]);
  });
});
