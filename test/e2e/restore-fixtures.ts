import type { SimulatorConfigInput } from '../../src/simulator/index.js';
import { checkRestores } from '../../tools/chaos/restore-invariants.js';
import { isViolation } from '../../tools/chaos/invariants.js';
import { readSqliteLedger } from '../../tools/chaos/ledger.js';
import type { Sandbox } from './harness.js';
import { FAST_SIMULATOR, invariantViolations } from './harness.js';

export const SNAPSHOT_ID = '150000900';
export const VOLUME_SNAPSHOT_ID = 'cccccccc-3333-4333-8333-333333333333';
/** A droplet tagged as if a restore saga made it, by a saga this ledger never had: nothing may delete it. */
export const LOOKALIKE_TAG = 'arcadia-saga-00000000-0000-4000-8000-000000000000';

/**
 * Droplet 1001 with a 30 GB snapshot kept in nyc3 and ams3 and a volume with a snapshot, beside bystanders no
 * restore may touch: one carrying the tag restores add, one carrying an arcadia-saga tag of no saga here.
 */
export const RESTORE_SIMULATOR: SimulatorConfigInput = {
  ...FAST_SIMULATOR,
  droplets: [
    {
      id: 1001,
      name: 'web-1',
      tags: ['web'],
      disk: 30,
      snapshots: [{ id: Number(SNAPSHOT_ID), name: 'arcadia-snap-1001-aaaaaaaa', regions: ['nyc3', 'ams3'] }],
      volumes: [{ id: 'dddddddd-4444-4444-8444-444444444444', snapshots: [{ id: VOLUME_SNAPSHOT_ID, name: 'v' }] }],
    },
    { id: 1002, name: 'restored-by-hand', tags: ['restored'] },
    { id: 1003, name: 'lookalike', tags: [LOOKALIKE_TAG] },
  ],
  dropletCreateMs: 300,
  createdDropletNotFoundMs: 100,
  deletedDropletLingerMs: 100,
};

export const RESTORE = ['restore', SNAPSHOT_ID, '--tag', 'restored'];

const RESTORE_INPUTS = [
  ...['--input', `snapshot_id=${SNAPSHOT_ID}`, '--input', 'size_slug=s-1vcpu-2gb', '--input', 'region=nyc3'],
];

/** A restore that fails after its droplet is active, so it must roll back and leave nothing. */
export const RESTORE_SMOKE = [
  ...['saga', 'start', '--kind', 'test', '--step', 'create_droplet_from_snapshot', '--step', 'wait_droplet_active'],
  ...['--step', 'fail', ...RESTORE_INPUTS],
];

/** A drill as `arcadia drill` builds it: restore, wait, delete. */
export const DRILL = [
  ...['saga', 'start', '--kind', 'drill', '--step', 'create_droplet_from_snapshot', '--step', 'wait_droplet_active'],
  ...['--step', 'delete_restored_droplet', ...RESTORE_INPUTS, '--input', 'source_droplet_id=1001'],
];

/** Every promise: the snapshot checker's and the restore checker's, against the whole history. */
export function restoreViolations(box: Sandbox): string[] {
  const restores = checkRestores(readSqliteLedger(box.home), box.sim.state())
    .filter((v) => isViolation(v, {}))
    .map((v) => v.message);
  return [...invariantViolations(box.home, box.sim), ...restores];
}

/** Droplets made by POST /v2/droplets that are still there. */
export function liveRestored(box: Sandbox) {
  return box.sim.state().dropletHistory.filter((d) => d.createdBy !== null && d.deletedAt === null);
}
