import { describe, expect, it } from 'vitest';
import type { SucceededDrill } from '../../src/db/monitoring-facts.js';
import { assessDrills, lastDrillOf } from '../../src/monitoring/drill-freshness.js';

const DAY = 86_400_000;
const NOW = 100 * DAY;
const WEEK_S = 7 * 86_400;

function drill(dropletId: number, daysAgo: number, sagaId = `s-${dropletId}-${daysAgo}`): SucceededDrill {
  return { sagaId, dropletId, snapshotId: `${dropletId}0`, activeAfterMs: 30_000, finishedAt: NOW - daysAgo * DAY };
}

describe('drill freshness (check --drill-warn)', () => {
  it('is OK for a drill younger than the threshold, WARNING from the threshold on', () => {
    const report = assessDrills([1, 2], [drill(1, 6), drill(2, 7)], NOW, WEEK_S);
    expect(report.droplets.map((d) => [d.dropletId, d.state, d.ageSeconds])).toEqual([
      [1, 'OK', 6 * 86_400],
      [2, 'WARNING', 7 * 86_400],
    ]);
    expect(report.state).toBe('WARNING');
  });

  it('warns on a droplet never drilled, with no age', () => {
    const report = assessDrills([1, 3], [drill(1, 1)], NOW, WEEK_S);
    expect(report.droplets[1]).toEqual({
      dropletId: 3,
      state: 'WARNING',
      ageSeconds: null,
      lastDrillAt: null,
      snapshotId: null,
      activeAfterMs: null,
      sagaId: null,
    });
  });

  it("judges each droplet by its newest drill, whatever the facts' order, and ignores other droplets", () => {
    const report = assessDrills([1], [drill(1, 30, 'old'), drill(1, 2, 'new'), drill(9, 90)], NOW, WEEK_S);
    expect(report.state).toBe('OK');
    expect(report.droplets.map((d) => [d.sagaId, d.lastDrillAt])).toEqual([['new', NOW - 2 * DAY]]);
    expect([...lastDrillOf([drill(1, 30, 'old'), drill(1, 2, 'new')]).values()].map((d) => d.sagaId)).toEqual(['new']);
  });

  it('is OK with every droplet drilled recently, and for no droplets at all', () => {
    expect(assessDrills([1, 2], [drill(1, 0), drill(2, 1)], NOW, WEEK_S).state).toBe('OK');
    expect(assessDrills([], [], NOW, WEEK_S)).toEqual({ state: 'OK', warnSeconds: WEEK_S, droplets: [] });
  });
});
