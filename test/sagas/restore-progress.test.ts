import { describe, expect, it } from 'vitest';
import { judgeTagged, type TaggedDroplet } from '../../src/sagas/restore/attribution.js';
import { defaultRestoreName, isDropletName, restoreTag, sagaIdOfRestoreTag } from '../../src/sagas/restore/naming.js';
import {
  adoptDroplet,
  createCheckpoint,
  createdByReply,
  decodeCreateProgress,
  nameDroplet,
  requestCreate,
  requestRefused,
  type CreateProgress,
} from '../../src/sagas/restore/progress.js';

const SAGA = '0123abcd-0000-4000-8000-000000000001';
const TAG = restoreTag(SAGA);
const NAME = 'arcadia-restore-0123abcd';

const droplet = (id: number, name = NAME, tags = [TAG]): TaggedDroplet => ({ id, name, tags });

describe('restore naming', () => {
  it('tags by the whole saga id and names by its first 8 hex', () => {
    expect(TAG).toBe(`arcadia-saga-${SAGA}`);
    expect(sagaIdOfRestoreTag(TAG)).toBe(SAGA);
    expect(sagaIdOfRestoreTag('arcadia-saga-web')).toBeUndefined();
    expect(defaultRestoreName(SAGA)).toBe(NAME);
  });

  it("follows DigitalOcean's droplet name rule", () => {
    expect(isDropletName('restore-web-01')).toBe(true);
    expect(isDropletName('web.example.com')).toBe(true);
    expect(isDropletName('restore_web-01')).toBe(false);
    expect(isDropletName('restore-')).toBe(false);
    expect(isDropletName('')).toBe(false);
    expect(isDropletName('a'.repeat(255))).toBe(true);
    expect(isDropletName('a'.repeat(256))).toBe(false);
  });
});

describe('judgeTagged: which listed droplet this saga made', () => {
  const clues = { tag: TAG, name: NAME, recordedId: null };
  const cases: [string, TaggedDroplet[], typeof clues | { tag: string; name: string; recordedId: number }, string][] = [
    ['nothing listed', [], clues, 'none'],
    ['only droplets of other tags', [droplet(5, NAME, ['web'])], clues, 'none'],
    ['one with the tag and the name', [droplet(5)], clues, 'ours'],
    ['one with the tag and another name', [droplet(5, 'db-01')], clues, 'conflict'],
    ['two with the tag', [droplet(5), droplet(6)], clues, 'conflict'],
    ['the recorded one', [droplet(5)], { ...clues, recordedId: 5 }, 'ours'],
    ['the recorded one is gone', [], { ...clues, recordedId: 5 }, 'none'],
    ['the recorded one and another', [droplet(5), droplet(6)], { ...clues, recordedId: 5 }, 'conflict'],
    ['another, the recorded one gone', [droplet(6)], { ...clues, recordedId: 5 }, 'conflict'],
  ];
  for (const [what, listed, given, verdict] of cases) {
    it(`${what}: ${verdict}`, () => {
      expect(judgeTagged(listed, given).verdict).toBe(verdict);
    });
  }

  it('a conflict names every droplet it cannot prove, and keeps the recorded one', () => {
    const judged = judgeTagged([droplet(5), droplet(6), droplet(7)], { ...clues, recordedId: 5 });
    expect(judged).toMatchObject({ verdict: 'conflict', dropletIds: [6, 7], ours: { id: 5 } });
  });
});

describe('create progress: stages and their stored form', () => {
  const named = nameDroplet({ stage: 'unnamed' }, NAME, TAG);
  const requested = requestCreate(named, 1000);

  it('round-trips every stage through the context', () => {
    const stages: CreateProgress[] = [
      { stage: 'unnamed' },
      named,
      requested,
      createdByReply(requested, 42, 77),
      adoptDroplet(requested, 42, null),
      adoptDroplet(named, 42, 77),
    ];
    for (const stage of stages) {
      expect(decodeCreateProgress(createCheckpoint({}, stage))).toEqual(stage);
    }
  });

  it('checkpoints only what changes, a dropped key as null', () => {
    const context = createCheckpoint({}, requested);
    expect(context).toEqual({ restore_name: NAME, restore_tag: TAG, restore_requested_at: 1000 });
    expect(createCheckpoint(context, createdByReply(requested, 42, 77))).toEqual({
      restore_droplet_id: 42,
      restore_action_id: 77,
    });
    expect(createCheckpoint(context, requestRefused(requested, false))).toEqual({ restore_requested_at: null });
  });

  it('a refusal keeps an earlier unanswered request outstanding', () => {
    expect(requestRefused(requested, true)).toBe(requested);
    expect(requestRefused(requested, false)).toEqual(named);
  });

  it('reads a half-written context as the stage before', () => {
    expect(decodeCreateProgress({ restore_name: NAME })).toEqual({ stage: 'unnamed' });
    expect(decodeCreateProgress({ restore_name: NAME, restore_tag: TAG, restore_requested_at: null })).toEqual(named);
  });
});
