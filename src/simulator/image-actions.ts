import type { ImageActionType } from '../digitalocean/types.js';
import type { SimImage } from './model.js';

/** An image action: its effect (a region added, a backup made a snapshot) lands when it completes. */
export interface SimImageAction {
  id: number;
  imageId: number;
  type: ImageActionType;
  /** The target region of a transfer. */
  region: string | null;
  startedAt: number;
  completesAt: number;
  outcome: 'completed' | 'errored';
  postedBy: string;
  /** Whether its effect is on the image already. */
  applied: boolean;
}

/** Applies every completed action's effect once, oldest first; regions only ever grow. */
export function settleImageActions(
  actions: Iterable<SimImageAction>,
  images: Map<number, SimImage>,
  now: number,
): void {
  const due = [...actions]
    .filter((a) => !a.applied && now >= a.completesAt)
    .sort((a, b) => a.completesAt - b.completesAt || a.id - b.id);
  for (const action of due) {
    action.applied = true;
    const image = images.get(action.imageId);
    if (!image || action.outcome !== 'completed') continue;
    if (action.type === 'transfer' && action.region !== null && !image.regions.includes(action.region))
      image.regions.push(action.region);
    if (action.type === 'convert') image.kind = 'snapshot';
  }
}
