import { describe, expect, it } from 'vitest';
import { sagaTemplateProblem } from '../../src/sagas/registry.js';
import { snapshotSagaTemplate } from '../../src/sagas/snapshot/snapshot-saga.js';

describe('the snapshot saga template with volumes and copies', () => {
  it('snapshots the volumes before power_on, copies after it, and prunes last', () => {
    const template = snapshotSagaTemplate({
      dropletId: 7,
      powerOff: true,
      withVolumes: true,
      copyTo: ['ams3', 'sfo3'],
      retention: { keepLast: 2 },
    });
    expect(template.stepNames).toEqual([
      'power_off_droplet',
      'create_droplet_snapshot',
      'create_volume_snapshots',
      'power_on_droplet',
      'copy_snapshot_to_regions',
      'prune_snapshots',
    ]);
    expect(template.inputs).toMatchObject({ droplet_provider_id: 7, with_volumes: true, copy_to: ['ams3', 'sfo3'] });
    expect(sagaTemplateProblem('snapshot', template.stepNames)).toBeNull();
  });

  it('leaves the steps of a plain snapshot as they were, and refuses a reordered list from the ledger', () => {
    expect(snapshotSagaTemplate({ dropletId: 7, powerOff: false, copyTo: [] }).stepNames).toEqual([
      'create_droplet_snapshot',
    ]);
    const reordered = ['create_volume_snapshots', 'create_droplet_snapshot'];
    expect(sagaTemplateProblem('snapshot', reordered)).toContain('a snapshot saga has the steps');
    const copyBeforePowerOn = [
      'power_off_droplet',
      'create_droplet_snapshot',
      'copy_snapshot_to_regions',
      'power_on_droplet',
    ];
    expect(sagaTemplateProblem('snapshot', copyBeforePowerOn)).not.toBeNull();
  });
});
