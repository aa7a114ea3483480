import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { lockPath, type SagaLockRecord } from '../../src/engine/lock.js';
import { parseJsonOutput, runArcadia, spawnArcadia, waitFor } from '../helpers/arcadia.js';
import { newSaga, openTestLedger } from '../helpers/ledger.js';
import { tempHome } from '../helpers/temp-home.js';

const env = { ARCADIA_LOCK_STALE_MS: '60000', ARCADIA_HEARTBEAT_MS: '100' };

function homeWithSaga(stepNames: string[], inputs = {}) {
  const { home } = tempHome();
  const observer = openTestLedger(home);
  onTestFinished(() => observer.close());
  const id = observer.core.createSaga(newSaga({ stepNames, inputs }), Date.now()).id;
  return { home, id, observer, lockFile: lockPath(join(home, 'locks'), id) };
}

describe('ARCADIA_HOST_ID', () => {
  it('names the owner in the lock file, the ledger, saga show and the refusal of another host', async () => {
    const { home, id, observer, lockFile } = homeWithSaga(['sleep'], { sleep_ms: 600_000 });
    const owner = spawnArcadia(['saga', 'resume', id], { home, env: { ...env, ARCADIA_HOST_ID: 'bastion-a' } });
    await waitFor(() => observer.core.getSaga(id)?.steps[0]?.status === 'running', { what: 'the step to start' });

    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: owner.pid, host: 'bastion-a' });
    expect(observer.core.getSaga(id)?.owner).toMatchObject({ pid: owner.pid, host: 'bastion-a' });
    const shown = await runArcadia(['saga', 'show', id, '--json'], { home, env: { ...env, ARCADIA_HOST_ID: 'b' } });
    expect(parseJsonOutput<{ owner: { host: string } }>(shown).owner.host).toBe('bastion-a');
    const refused = await runArcadia(['saga', 'resume', id], { home, env: { ...env, ARCADIA_HOST_ID: 'bastion-b' } });
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`owned by pid ${owner.pid} on bastion-a`);

    expect(observer.core.listEvents(id).find((e) => e.to === 'owner')?.detail).toMatch(/^pid \d+ on bastion-a, /);
    owner.child.kill('SIGTERM'); // the step sleeps until stopped: nothing here depends on how long anything takes
    expect((await owner.done).code).toBe(143);
  });

  it(
    'decides what "this host" is: a gone pid is proof only ' + 'to its own host, another waits for the heartbeat',
    async () => {
      const { home, id, observer, lockFile } = homeWithSaga(['noop']);
      // A fresh lock of bastion-a held by a pid that does not exist on this machine.
      const record = { pid: 4_194_000, host: 'bastion-a', processStartedAt: null, acquiredAt: Date.now() };
      expect(observer.core.claimLease(id, [0], 1, record)).toBe(true);
      mkdirSync(join(home, 'locks'), { recursive: true, mode: 0o700 });
      const lock: SagaLockRecord = { sagaId: id, ...record, heartbeatAt: Date.now(), epoch: 1 };
      writeFileSync(lockFile, JSON.stringify(lock), { mode: 0o600 });

      const elsewhere = await runArcadia(['saga', 'resume', id], {
        home,
        env: { ...env, ARCADIA_HOST_ID: 'bastion-b' },
      });
      expect(elsewhere.code, elsewhere.stderr).toBe(3);
      expect(observer.core.getSaga(id)).toMatchObject({ status: 'pending', leaseEpoch: 1 });

      const here = await runArcadia(['saga', 'resume', id], { home, env: { ...env, ARCADIA_HOST_ID: 'bastion-a' } });
      expect(here.code, here.stderr).toBe(0);
      expect(observer.core.getSaga(id)).toMatchObject({ status: 'succeeded', leaseEpoch: 2 });
      expect(observer.core.listEvents(id).find((e) => e.to === 'owner')?.detail).toContain(
        'took over: owner pid 4194000 is gone',
      );
    },
  );
});
