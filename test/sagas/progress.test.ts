import { describe, expect, it } from 'vitest';
import type { SagaContext } from '../../src/engine/types.js';
import {
  actionStarted,
  adoptAction,
  decodeProgress,
  progressCheckpoint,
  requestRefused,
  setAside,
  snapshotOutput,
  startPosting,
  type NotPosted,
  type Posting,
  type SnapshotProgress,
} from '../../src/sagas/snapshot/progress.js';

const AT = Date.parse('2026-11-26T03:00:10.400Z');
const inputs = { __inputs__: { droplet_provider_id: 1001 } };

/** What the runner does with a checkpoint: merge it into the context. */
function applied(context: SagaContext, next: SnapshotProgress): SagaContext {
  return { ...context, ...progressCheckpoint(context, next) };
}

describe('decodeProgress reads the contexts the previous versions wrote', () => {
  const cases: [string, SagaContext, SnapshotProgress][] = [
    ['nothing sent', { ...inputs }, { stage: 'not-posted', foreignActionIds: [] }],
    ['a refused request', { ...inputs, snapshot_posting_at: null }, { stage: 'not-posted', foreignActionIds: [] }],
    [
      'a request in flight',
      { ...inputs, snapshot_posting_at: AT },
      { stage: 'posting', postingAt: AT, foreignActionIds: [] },
    ],
    [
      'an action from our POST reply',
      { ...inputs, snapshot_posting_at: AT, snapshot_action_id: 7 },
      { stage: 'action', postingAt: AT, actionId: 7, adopted: false, foreignActionIds: [] },
    ],
    [
      'an adopted action',
      { ...inputs, snapshot_posting_at: AT, snapshot_action_id: 7, snapshot_action_adopted: true },
      { stage: 'action', postingAt: AT, actionId: 7, adopted: true, foreignActionIds: [] },
    ],
    [
      'an adopted action set aside',
      {
        ...inputs,
        snapshot_posting_at: AT,
        snapshot_action_id: null,
        snapshot_action_adopted: null,
        snapshot_foreign_action_ids: [7],
      },
      { stage: 'posting', postingAt: AT, foreignActionIds: [7] },
    ],
    [
      'a set-aside action, then our own from the reply',
      {
        ...inputs,
        snapshot_posting_at: AT,
        snapshot_action_id: 8,
        snapshot_action_adopted: null,
        snapshot_foreign_action_ids: [7],
      },
      { stage: 'action', postingAt: AT, actionId: 8, adopted: false, foreignActionIds: [7] },
    ],
    [
      'a recorded snapshot',
      { ...inputs, snapshot_posting_at: AT, snapshot_action_id: 7, snapshot_id: '555', snapshot_name: 'n' },
      { stage: 'done', snapshotId: '555', foreignActionIds: [] },
    ],
  ];
  for (const [what, context, expected] of cases) {
    it(what, () => expect(decodeProgress(context)).toEqual(expected));
  }
});

describe('transitions write exactly the keys the step always wrote', () => {
  const notPosted: NotPosted = { stage: 'not-posted', foreignActionIds: [] };

  it('a request, its reply, and the action recorded', () => {
    const posting = startPosting(notPosted, AT);
    expect(progressCheckpoint(inputs, posting)).toEqual({ snapshot_posting_at: AT });
    const context = applied(inputs, posting);
    const started = actionStarted(posting, 7);
    expect(progressCheckpoint(context, started)).toEqual({ snapshot_action_id: 7 });
    expect(decodeProgress(applied(context, started))).toEqual(started);
  });

  it('adopting, then setting aside: never adopted again, our request unaccounted for again', () => {
    const posting = startPosting(notPosted, AT);
    const context = applied(inputs, posting);
    const adopted = adoptAction(posting, 7);
    expect(progressCheckpoint(context, adopted)).toEqual({ snapshot_action_id: 7, snapshot_action_adopted: true });
    const afterAdopt = applied(context, adopted);
    const aside = setAside(adopted);
    expect(aside).toEqual({ stage: 'posting', postingAt: AT, foreignActionIds: [7] });
    expect(progressCheckpoint(afterAdopt, aside)).toEqual({
      snapshot_action_id: null,
      snapshot_action_adopted: null,
      snapshot_foreign_action_ids: [7],
    });
    expect(decodeProgress(applied(afterAdopt, aside))).toEqual(aside);
  });

  it(
    'chaos finding: a refused request (422) is forgotten, so a snapshot someone else just began is never ' + 'adopted',
    () => {
      const posting = startPosting(notPosted, AT);
      const context = applied(inputs, posting);
      const refused = requestRefused(posting, false);
      expect(refused).toEqual({ stage: 'not-posted', foreignActionIds: [] });
      expect(progressCheckpoint(context, refused)).toEqual({ snapshot_posting_at: null });
    },
  );

  it('a refused retry keeps an earlier request that is still unaccounted for', () => {
    const posting = startPosting(notPosted, AT);
    const context = applied(inputs, posting);
    expect(requestRefused(posting, true)).toBe(posting);
    expect(progressCheckpoint(context, requestRefused(posting, true))).toEqual({});
  });

  it('the foreign set outlives a refusal and the next request', () => {
    const aside = setAside(adoptAction(startPosting(notPosted, AT), 7)) as Posting;
    const refused = requestRefused(aside, false);
    expect(refused.foreignActionIds).toEqual([7]);
    if (refused.stage !== 'not-posted') throw new Error('expected not-posted');
    expect(startPosting(refused, AT + 5000).foreignActionIds).toEqual([7]);
  });

  it('a recorded snapshot is output, never a checkpoint', () => {
    expect(() => progressCheckpoint(inputs, { stage: 'done', snapshotId: '1', foreignActionIds: [] })).toThrow();
    expect(snapshotOutput({ id: '555', sizeGigabytes: 2.5 }, 'n', 61_000)).toEqual({
      snapshot_id: '555',
      snapshot_name: 'n',
      snapshot_size_gigabytes: 2.5,
      snapshot_action_ms: 61_000,
    });
    expect(snapshotOutput({ id: '555', sizeGigabytes: 2.5 }, 'n')).not.toHaveProperty('snapshot_action_ms');
  });
});
