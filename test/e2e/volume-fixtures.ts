import type { SimulatorConfigInput } from '../../src/simulator/index.js';
import { FAST_SIMULATOR } from './harness.js';

export const VOL_A = 'aaaaaaaa-1111-4111-8111-111111111111';
export const VOL_B = 'bbbbbbbb-2222-4222-8222-222222222222';

/** Droplet 1001 with two volumes; snapshots of volumes every 10 minutes at most, as DigitalOcean allows. */
export const VOLUME_SIMULATOR: SimulatorConfigInput = {
  ...FAST_SIMULATOR,
  droplets: [
    {
      id: 1001,
      name: 'db-1',
      tags: ['db'],
      volumes: [
        { id: VOL_A, name: 'data' },
        { id: VOL_B, name: 'logs' },
      ],
    },
    { id: 1002, name: 'web-2', tags: ['web'] },
  ],
  imageActionDurationMs: { transfer: 200, convert: 100 },
};
