import { describe, expect, it } from 'vitest';
import { OutcomeUnknownError } from '../../src/digitalocean/errors.js';
import type { Action, ImageActionRequest, Snapshot } from '../../src/digitalocean/types.js';
import type { SnapshotApi } from '../../src/sagas/snapshot/api.js';
import { createCopyStep } from '../../src/sagas/snapshot/copy-step.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeDroplet, stepContext, stepDependencies } from './fake-droplet.js';

const IMAGE_ID = 150_000_015;

interface Transfer {
  id: number;
  region: string;
  status: Action['status'];
}

/**
 * One droplet snapshot and its transfers, in memory, with the order of events under the test's control: a
 * transfer's POST may lose its reply, and a transfer may complete at a chosen request.
 */
class FakeImage {
  readonly regions = ['nyc3'];
  readonly transfers: Transfer[] = [];
  posts = 0;
  /** Called before every read, so a test can finish a transfer between two of the step's reads. */
  beforeRead: (what: 'snapshot' | 'actions') => void = () => {};

  complete(transfer: Transfer): void {
    transfer.status = 'completed';
    if (!this.regions.includes(transfer.region)) this.regions.push(transfer.region);
  }

  private view(t: Transfer): Action {
    return {
      id: t.id,
      status: t.status,
      type: 'transfer',
      started_at: '2026-12-01T00:00:00Z',
      completed_at: t.status === 'completed' ? '2026-12-01T00:00:01Z' : null,
      resource_id: IMAGE_ID,
      resource_type: 'image',
      region_slug: t.region,
    };
  }

  api(base: SnapshotApi, options: { loseFirstReply: boolean }): SnapshotApi {
    return {
      ...base,
      getSnapshot: async (id): Promise<Snapshot> => {
        this.beforeRead('snapshot');
        return {
          id,
          name: 'arcadia-snap-1001-0123abcd',
          created_at: '2026-12-01T00:00:00Z',
          regions: [...this.regions],
          min_disk_size: 25,
          size_gigabytes: 1.5,
          resource_id: '1001',
          resource_type: 'droplet',
          tags: null,
        };
      },
      listImageActions: async () => {
        this.beforeRead('actions');
        return this.transfers.map((t) => this.view(t));
      },
      getAction: async (id) => {
        const transfer = this.transfers.find((t) => t.id === id);
        if (!transfer) throw new Error(`no action ${id}`);
        // Polled, a running transfer is done: the step's wait needs no virtual time to pass.
        const seen = this.view(transfer);
        if (transfer.status === 'in-progress') this.complete(transfer);
        return seen;
      },
      postImageAction: async (_imageId, body: ImageActionRequest) => {
        this.posts++;
        const transfer: Transfer = {
          id: 2_000_000_000 + this.posts,
          region: body.type === 'transfer' ? body.region : '',
          status: 'in-progress',
        };
        this.transfers.push(transfer);
        if (options.loseFirstReply && this.posts === 1) {
          throw new OutcomeUnknownError(
            { method: 'POST', path: `/v2/images/${IMAGE_ID}/actions`, status: 500, providerMessage: 'lost' },
            'transfer',
          );
        }
        return this.view(transfer);
      },
    };
  }
}

function copyStep(image: FakeImage, clock: FakeClock, loseFirstReply: boolean) {
  const droplet = new FakeDroplet(clock, { durationMs: 1000, runningStatus: 'in-progress' });
  const deps = stepDependencies(droplet, { pollIntervalMs: 100, lookupIntervalMs: 100, lookupAttempts: 5 });
  const api = image.api(droplet.api(), { loseFirstReply });
  return createCopyStep({ ...deps, api: () => api });
}

describe('copy_snapshot_to_regions', () => {
  it('adopts a lost-reply transfer that completed between the regions read and the actions read', async () => {
    const clock = new FakeClock();
    const image = new FakeImage();
    // After the lost reply, the step reads the snapshot's regions (no sfo3 yet), then the image's actions: the
    // transfer completes in between, so it is no longer running when listed. (Chaos seed 8 posted it twice.)
    let snapshotReads = 0;
    image.beforeRead = (what) => {
      if (what === 'snapshot') snapshotReads++;
      const first = image.transfers[0];
      if (what === 'actions' && snapshotReads === 2 && first?.status === 'in-progress') image.complete(first);
    };
    const step = copyStep(image, clock, true);
    const ctx = stepContext(clock, { snapshot_id: String(IMAGE_ID), __inputs__: { copy_to: 'sfo3' } });

    const output = await step.execute(ctx);

    expect(image.posts).toBe(1);
    expect(image.regions).toEqual(['nyc3', 'sfo3']);
    expect(output.copied_regions).toEqual(['sfo3']);
    expect(output.transfer_actions).toEqual({ sfo3: image.transfers[0]?.id });
  });

  it('posts again when the only transfer to the region errored', async () => {
    const clock = new FakeClock();
    const image = new FakeImage();
    image.beforeRead = (what) => {
      const first = image.transfers[0];
      if (what === 'actions' && first?.status === 'in-progress') first.status = 'errored';
    };
    const step = copyStep(image, clock, true);
    const ctx = stepContext(clock, { snapshot_id: String(IMAGE_ID), __inputs__: { copy_to: 'sfo3' } });

    await step.execute(ctx);

    expect(image.posts).toBe(2);
    expect(image.regions).toEqual(['nyc3', 'sfo3']);
  });
});
