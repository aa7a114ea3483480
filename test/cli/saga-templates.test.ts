import { describe, expect, it } from 'vitest';
import {
  cliBackends,
  sagaHoldings,
  sqliteLedgerBytes,
  type CliBackendHome,
  type SagaHoldings,
} from '../helpers/ledger-backends.js';
import { newSaga } from '../helpers/ledger.js';
import { expectJsonError, inProcess } from '../security/util.js';

/**
 * A saga in the ledger that this arcadia would not have built (hand-written, or by a newer version) is refused before
 * anything runs: exit 4, the saga left as it was, and under --all the other orphans still run.
 */

function cliEnv(h: CliBackendHome): NodeJS.ProcessEnv {
  return { ARCADIA_HOME: h.home, HOME: h.home, NO_COLOR: '1', PATH: process.env.PATH ?? '/usr/bin:/bin', ...h.env };
}

async function seed(h: CliBackendHome, kind: string, stepNames: string[]): Promise<string> {
  const saga = newSaga({ kind, stepNames, inputs: { droplet_provider_id: 7 } });
  return (await (await h.ledger()).createSaga(saga, 1_000)).id;
}

/** What the ledger holds for the saga, and on SQLite also the ledger file's bytes. */
interface Untouched {
  holdings: SagaHoldings;
  bytes?: Record<string, string>;
}

async function untouched(h: CliBackendHome, id: string): Promise<Untouched> {
  const holdings = await sagaHoldings(await h.ledger(), id);
  return h.backend === 'sqlite' ? { holdings, bytes: sqliteLedgerBytes(h.home) } : { holdings };
}

// Each test has its own home (and database): the backends and tests run at once.
describe.concurrent.each(cliBackends())('resuming a saga arcadia would not build ($name)', (backend) => {
  it('refuses a snapshot saga of nothing but power_off_droplet: exit 4, nothing run, ledger untouched', async (t) => {
    const h = await backend.open(t);
    const id = await seed(h, 'snapshot', ['power_off_droplet']);
    const before = await untouched(h, id);

    const run = await inProcess(['saga', 'resume', id, '--json'], cliEnv(h));

    expect(run.code).toBe(4);
    const error = expectJsonError(run, 'template mismatch');
    expect(error.code).toBe('saga_template_mismatch');
    expect(error.message).toContain(id);
    expect(error.message).toContain('power_off_droplet');
    expect(await untouched(h, id)).toEqual(before);
  });

  it('saga cancel refuses it too, before recording the cancel request', async (t) => {
    const h = await backend.open(t);
    const id = await seed(h, 'snapshot', ['power_off_droplet']);
    const before = await untouched(h, id);

    const run = await inProcess(['saga', 'cancel', id, '--json'], cliEnv(h));

    expect(run.code).toBe(4);
    expect(expectJsonError(run, 'cancel of a forged saga').code).toBe('saga_template_mismatch');
    expect(await untouched(h, id)).toEqual(before);
    expect(before.holdings.saga?.cancelRequestedAt).toBeNull();
  });

  it('refuses a saga whose step rows differ from its recorded step list', async (t) => {
    const h = await backend.open(t);
    const id = await seed(h, 'snapshot', ['create_droplet_snapshot']);
    await h.setStepName(id, 0, 'power_off_droplet');
    const before = await untouched(h, id);

    const run = await inProcess(['saga', 'resume', id], cliEnv(h));

    expect(run.code).toBe(4);
    expect(run.stderr).toContain('step rows differ');
    expect(await untouched(h, id)).toEqual(before);
    expect(before.holdings.saga).toMatchObject({ status: 'pending', leaseEpoch: 0, owner: null });
  });

  it('halts on a step this version does not know: exit 4 naming it, the saga untouched, resumable', async (t) => {
    const h = await backend.open(t);
    const id = await seed(h, 'test', ['noop', 'teleport_droplet']);
    const before = await untouched(h, id);

    const run = await inProcess(['saga', 'resume', id, '--json'], cliEnv(h));

    expect(run.code).toBe(4);
    const error = expectJsonError(run, 'unknown step');
    expect(error.code).toBe('step_not_known');
    expect(error.message).toContain('"teleport_droplet"');
    expect(await untouched(h, id)).toEqual(before);
    expect(before.holdings.events.map((e) => e.to)).toEqual(['pending']);
  });

  it('under --all, refuses those (exit 4) and still runs the other orphans', async (t) => {
    const h = await backend.open(t);
    const forged = await seed(h, 'snapshot', ['power_off_droplet']);
    const future = await seed(h, 'test', ['teleport_droplet']);
    const fine = await seed(h, 'test', ['noop']);
    const ledger = await h.ledger();
    const refusedBefore = await Promise.all([forged, future].map((id) => sagaHoldings(ledger, id)));

    const run = await inProcess(['saga', 'resume', '--all', '--json'], cliEnv(h));

    expect(run.code, run.stderr).toBe(4);
    expect((JSON.parse(run.stdout) as { id: string }[]).map((s) => s.id)).toEqual([fine]);
    expect((await ledger.getSaga(fine))?.status).toBe('succeeded');
    expect(await Promise.all([forged, future].map((id) => sagaHoldings(ledger, id)))).toEqual(refusedBefore);
    for (const { saga } of refusedBefore) expect(saga).toMatchObject({ status: 'pending', leaseEpoch: 0 });
  });

  it('saga start refuses a snapshot-kind saga of steps no snapshot saga has (exit 2, nothing recorded)', async (t) => {
    const h = await backend.open(t);
    const run = await inProcess(['saga', 'start', '--kind', 'snapshot', '--step', 'power_off_droplet'], cliEnv(h));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('matches no saga arcadia builds');
    expect(await (await h.ledger()).listSagas({})).toEqual([]);
  });
});

describe('the template check', () => {
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
    // reconcile --delete: leaked restore droplets alone, or after the leaked snapshots, never before them.
    expect(sagaTemplateProblem('reconcile', ['delete_leaked_droplets'])).toBeNull();
    expect(sagaTemplateProblem('reconcile', ['delete_leaked_snapshots', 'delete_leaked_droplets'])).toBeNull();
    expect(sagaTemplateProblem('reconcile', ['delete_leaked_droplets', 'delete_leaked_snapshots'])).not.toBeNull();
    expect(sagaTemplateProblem('test', ['create_droplet_snapshot', 'fail'])).toBeNull();
    expect(sagaTemplateProblem('snapshot', ['create_droplet_snapshot', 'fail'])).not.toBeNull();
    expect(sagaTemplateProblem('nonsense', ['noop'])).not.toBeNull();
  });
});
