import { describe, expect, it, onTestFinished } from 'vitest';
import { newSaga, openTestLedger } from '../helpers/ledger.js';
import { tempHome } from '../helpers/temp-home.js';

function setup() {
  const t = openTestLedger(tempHome().home);
  onTestFinished(() => t.close());
  return t;
}

/** Lets every queued promise continuation run: what a concurrent saga would do while a section awaits. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SqliteSagaLedger.exclusive', () => {
  it("commits the section's writes when its work resolves; the work's own ledger sees them at once", async () => {
    const t = setup();
    const saga = newSaga({ stepNames: ['noop'] });
    const seen = await t.ledger.exclusive(async (ledger) => {
      await ledger.createSaga(saga, 1_000);
      return (await ledger.getSaga(saga.id))?.status;
    });
    expect(seen).toBe('pending');
    expect(t.db.inTransaction).toBe(false);
    expect(t.core.getSaga(saga.id)?.status).toBe('pending');
  });

  it('rolls back every write of the section when its work rejects', async () => {
    const t = setup();
    const saga = newSaga({ stepNames: ['noop'] });
    const failing = t.ledger.exclusive(async (ledger) => {
      await ledger.createSaga(saga, 1_000);
      throw new Error('planning failed');
    });
    await expect(failing).rejects.toThrow('planning failed');
    expect(t.db.inTransaction).toBe(false);
    expect(t.core.getSaga(saga.id)).toBeUndefined();
  });

  it(
    "makes the process's other calls wait for its end, " + 'so none becomes part of a section that rolls back',
    async () => {
      const t = setup();
      const outsider = newSaga({ stepNames: ['noop'] });
      const order: string[] = [];
      let release!: () => void;
      const holding = new Promise<void>((resolve) => (release = resolve));
      const section = t.ledger.exclusive(async (ledger) => {
        await ledger.createSaga(newSaga({ stepNames: ['noop'] }), 1_000);
        order.push('section wrote');
        await holding;
        throw new Error('rolled back');
      });
      const outside = t.ledger.createSaga(outsider, 2_000).then(() => order.push('outsider wrote'));
      await settle();
      expect(order).toEqual(['section wrote']); // the outsider is still waiting
      release();
      await expect(section).rejects.toThrow('rolled back');
      await outside;
      expect(order).toEqual(['section wrote', 'outsider wrote']);
      // The outsider's saga survived the rollback, the section's did not.
      expect(t.core.listSagas({}).map((s) => s.id)).toEqual([outsider.id]);
    },
  );

  it('runs sections one after another, and close waits for a running one', async () => {
    const t = setup();
    const order: string[] = [];
    const section = (name: string) =>
      t.ledger.exclusive(async (ledger) => {
        order.push(`${name} begins`);
        await settle();
        await ledger.createSaga(newSaga({ stepNames: ['noop'] }), 1_000);
        order.push(`${name} ends`);
      });
    await Promise.all([section('first'), section('second')]);
    expect(order).toEqual(['first begins', 'first ends', 'second begins', 'second ends']);
    expect(t.core.listSagas({})).toHaveLength(2);
    const last = section('last');
    await t.ledger.close();
    expect(order.at(-1)).toBe('last ends');
    await last;
  });
});
