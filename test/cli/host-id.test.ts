import { describe, expect, it } from 'vitest';
import { parseJsonOutput, runArcadia, spawnArcadia, waitFor } from '../helpers/arcadia.js';
import { cliBackends } from '../helpers/ledger-backends.js';
import { newSaga } from '../helpers/ledger.js';

const staleEnv = { ARCADIA_LOCK_STALE_MS: '60000', ARCADIA_HEARTBEAT_MS: '100' };

describe.each(cliBackends())('ARCADIA_HOST_ID ($name)', (backend) => {
  async function homeWithSaga(stepNames: string[], inputs = {}) {
    const opened = await backend.open();
    const observer = await opened.ledger();
    const { id } = await observer.createSaga(newSaga({ stepNames, inputs }), Date.now());
    return { ...opened, env: { ...opened.env, ...staleEnv }, id, observer };
  }

  it('names the owner in its lease, the ledger, saga show and the refusal of another host', async () => {
    const { home, env, id, observer, lease } = await homeWithSaga(['sleep'], { sleep_ms: 600_000 });
    const owner = spawnArcadia(['saga', 'resume', id], { home, env: { ...env, ARCADIA_HOST_ID: 'bastion-a' } });
    await waitFor(async () => (await observer.getSaga(id))?.steps[0]?.status === 'running', {
      what: 'the step to start',
    });

    // The lease: its lock file on SQLite, its row's owner columns on PostgreSQL.
    expect(await lease(id)).toMatchObject({ pid: owner.pid, host: 'bastion-a' });
    expect((await observer.getSaga(id))?.owner).toMatchObject({ pid: owner.pid, host: 'bastion-a' });
    const shown = await runArcadia(['saga', 'show', id, '--json'], { home, env: { ...env, ARCADIA_HOST_ID: 'b' } });
    expect(parseJsonOutput<{ owner: { host: string } }>(shown).owner.host).toBe('bastion-a');
    const refused = await runArcadia(['saga', 'resume', id], { home, env: { ...env, ARCADIA_HOST_ID: 'bastion-b' } });
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`owned by pid ${owner.pid} on bastion-a`);

    expect((await observer.listEvents(id)).find((e) => e.to === 'owner')?.detail).toMatch(/^pid \d+ on bastion-a, /);
    owner.child.kill('SIGTERM'); // the step sleeps until stopped: nothing here depends on how long anything takes
    expect((await owner.done).code).toBe(143);
  });

  it(
    'decides what "this host" is: a gone pid is proof only ' + 'to its own host, another waits for the heartbeat',
    async () => {
      const { home, env, id, observer, plantOwner } = await homeWithSaga(['noop']);
      // A fresh lease of bastion-a held by a pid that does not exist on this machine.
      const now = Date.now();
      await plantOwner(id, {
        pid: 4_194_000,
        host: 'bastion-a',
        processStartedAt: null,
        acquiredAt: now,
        heartbeatAt: now,
        epoch: 1,
      });

      const elsewhere = await runArcadia(['saga', 'resume', id], {
        home,
        env: { ...env, ARCADIA_HOST_ID: 'bastion-b' },
      });
      expect(elsewhere.code, elsewhere.stderr).toBe(3);
      expect(await observer.getSaga(id)).toMatchObject({ status: 'pending', leaseEpoch: 1 });

      const here = await runArcadia(['saga', 'resume', id], { home, env: { ...env, ARCADIA_HOST_ID: 'bastion-a' } });
      expect(here.code, here.stderr).toBe(0);
      expect(await observer.getSaga(id)).toMatchObject({ status: 'succeeded', leaseEpoch: 2 });
      expect((await observer.listEvents(id)).find((e) => e.to === 'owner')?.detail).toContain(
        'took over: owner pid 4194000 is gone',
      );
    },
  );
});
