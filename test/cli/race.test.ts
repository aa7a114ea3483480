import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { lines, spawnArcadia } from '../helpers/arcadia.js';
import { cliBackends } from '../helpers/ledger-backends.js';
import { newSaga } from '../helpers/ledger.js';

/**
 * Several executors started at once on one saga: exactly one runs it, the others exit 3 naming the owner.
 * The saga's one step sleeps long enough that every loser, even on a loaded machine where five Node processes take
 * seconds to boot, arrives while the winner still holds it.
 */
const SLEEP_MS = 5_000;

describe.each(cliBackends())('race ($name)', (backend) => {
  it(
    'lets exactly one of five simultaneous `saga resume` run the saga; four exit ' + '3 naming its pid and host',
    async () => {
      const { home, env, ledger } = await backend.open();
      const seeded = await ledger();
      const created = await seeded.createSaga(
        newSaga({ stepNames: ['sleep'], inputs: { sleep_ms: SLEEP_MS } }),
        Date.now(),
      );
      const id = created.id;

      const contenders = Array.from({ length: 5 }, () => spawnArcadia(['saga', 'resume', id], { home, env }));
      const results = await Promise.all(contenders.map((c) => c.done));

      const winners = contenders.filter((_, i) => results[i]!.code === 0);
      const losers = results.filter((r) => r.code !== 0);
      expect(results.map((r) => r.code).sort(), results.map((r) => r.stderr).join('\n')).toEqual([0, 3, 3, 3, 3]);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      for (const loser of losers) {
        expect(loser.code).toBe(3);
        expect(loser.stdout).toBe('');
        const last = lines(loser.stderr).at(-1)!;
        expect(last).toMatch(
          new RegExp(`^error: saga ${id} is owned by pid ${winner.pid} on ${hostname()} since \\d{4}-\\d\\d-\\d\\dT`),
        );
      }

      const saga = (await seeded.getSaga(id))!;
      expect(saga.status).toBe('succeeded');
      expect(saga.leaseEpoch).toBe(1);
      expect(saga.steps[0]!.attempts).toBe(1);
      const events = await seeded.listEvents(id);
      expect(events.filter((e) => e.to === 'owner')).toEqual([
        expect.objectContaining({ detail: `pid ${winner.pid} on ${hostname()}, epoch 1` }),
      ]);
      expect(events.filter((e) => e.from === 'running' && e.to === 'succeeded' && e.stepIdx === 0)).toHaveLength(1);
    },
  );
});

describe.each(cliBackends())('race of resumers ($name)', (backend) => {
  it('three simultaneous `saga resume --all` report each orphan once between them, and run each once', async () => {
    const { home, env, ledger } = await backend.open();
    const seeded = await ledger();
    // Short sleeps: each resumer is still going through its list when the others finish sagas on it.
    const ids: string[] = [];
    for (let i = 0; i < 20; i++)
      ids.push((await seeded.createSaga(newSaga({ stepNames: ['sleep'], inputs: { sleep_ms: 30 } }), Date.now())).id);

    const resumers = Array.from({ length: 3 }, () =>
      spawnArcadia(['saga', 'resume', '--all', '--json'], { home, env }),
    );
    const results = await Promise.all(resumers.map((r) => r.done));

    const reported = results.flatMap((r) => (JSON.parse(r.stdout) as { id: string }[]).map((s) => s.id));
    expect(
      results.map((r) => r.code),
      results.map((r) => r.stderr).join('\n'),
    ).toEqual([0, 0, 0]);
    expect([...reported].sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const saga = (await seeded.getSaga(id))!;
      expect(saga.status).toBe('succeeded');
      expect(saga.steps[0]!.attempts).toBe(1);
    }
  });
});
