import type { DigitalOceanClient } from '../digitalocean/client.js';
import { NotFoundError } from '../digitalocean/errors.js';
import type { StepContext, StepDefinition } from '../engine/step.js';
import type { Json } from '../engine/types.js';
import { restoreTag } from './restore/naming.js';

export const LEAKED_DROPLETS_INPUT = 'leaked_droplets';
export const DELETED_DROPLETS_KEY = 'deleted_droplet_ids';
/** Droplets found changed since the reconcile listed them (another name, the tag gone): left alone. */
export const SPARED_DROPLETS_KEY = 'spared_droplet_ids';

export type LeakedDropletsApi = Pick<DigitalOceanClient, 'getDroplet' | 'deleteDroplet'>;

/** One droplet `reconcile --delete` may remove: its id, the saga its tag names, and the name it had when listed. */
export interface LeakedDroplet {
  id: number;
  sagaId: string;
  name: string;
}

export function leakedDropletInputs(droplets: readonly LeakedDroplet[]): Json {
  return droplets.map((d) => ({ id: d.id, saga_id: d.sagaId, name: d.name }));
}

function leakedDropletsOf(value: Json | undefined): LeakedDroplet[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return [];
    const { id, saga_id: sagaId, name } = entry;
    return typeof id === 'number' && typeof sagaId === 'string' && typeof name === 'string'
      ? [{ id, sagaId, name }]
      : [];
  });
}

function numberList(value: Json | undefined): number[] {
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : [];
}

/**
 * Deletes the leaked restore and drill droplets `arcadia reconcile` found. Each droplet is read again right before
 * its DELETE and spared unless it still carries the saga's tag and the name it was listed with: an id may have been
 * reused, or the droplet renamed and kept by someone, since the listing. A 404 is success (already gone).
 */
export function createDeleteLeakedDropletsStep(api: (ctx: StepContext) => LeakedDropletsApi): StepDefinition {
  return {
    name: 'delete_leaked_droplets',
    description: 'deletes the leaked restore and drill droplets listed in leaked_droplets',
    async execute(ctx) {
      const deleted = numberList(ctx.context[DELETED_DROPLETS_KEY]);
      const spared = numberList(ctx.context[SPARED_DROPLETS_KEY]);
      for (const leak of leakedDropletsOf(ctx.input(LEAKED_DROPLETS_INPUT))) {
        if (deleted.includes(leak.id) || spared.includes(leak.id)) continue;
        try {
          const droplet = await api(ctx).getDroplet(leak.id);
          if (!droplet.tags.includes(restoreTag(leak.sagaId)) || droplet.name !== leak.name) {
            spared.push(leak.id);
            await ctx.checkpoint({ [SPARED_DROPLETS_KEY]: spared });
            ctx.progress(`droplet ${leak.id} changed since the listing: left alone`);
            continue;
          }
          await api(ctx).deleteDroplet(leak.id);
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
        }
        deleted.push(leak.id);
        await ctx.checkpoint({ [DELETED_DROPLETS_KEY]: deleted });
        ctx.progress(`deleted leaked droplet ${leak.id}`);
      }
      return { [DELETED_DROPLETS_KEY]: deleted, [SPARED_DROPLETS_KEY]: spared };
    },
    // A deletion cannot be undone; there is nothing to compensate.
    compensate: async () => {},
  };
}
