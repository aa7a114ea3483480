import type { DigitalOceanClient } from '../../../digitalocean/client.js';
import { NotFoundError } from '../../../digitalocean/errors.js';
import { UsageError } from '../../../errors.js';

/** A droplet to snapshot, with its disk size: a new droplet's first snapshot is timed by droplets of its size. */
export interface SelectedDroplet {
  id: number;
  diskGigabytes: number;
  /** Recorded on the saga, so the metrics file can label the droplet's last success with it. */
  name: string;
  /** The attached volumes, for `--with-volumes` and its retention preview. */
  volumeIds: string[];
}

/** The droplets to snapshot, each checked to exist before any saga is created. */
export async function selectDroplets(
  client: DigitalOceanClient,
  ids: number[],
  tag: string | undefined,
): Promise<SelectedDroplet[]> {
  const selected = new Map<number, SelectedDroplet>();
  for (const id of ids) {
    try {
      const droplet = await client.getDroplet(id);
      selected.set(id, { id, diskGigabytes: droplet.disk, name: droplet.name, volumeIds: droplet.volume_ids ?? [] });
    } catch (error) {
      if (error instanceof NotFoundError) throw new UsageError(`droplet ${id} not found: ${error.providerMessage}`);
      throw error;
    }
  }
  if (tag !== undefined) {
    for (const droplet of await client.listDroplets({ tagName: tag })) {
      const { disk, name, volume_ids: volumeIds = [] } = droplet;
      selected.set(droplet.id, { id: droplet.id, diskGigabytes: disk, name, volumeIds });
    }
  }
  return [...selected.values()];
}
