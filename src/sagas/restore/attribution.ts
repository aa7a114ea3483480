import type { Droplet } from '../../digitalocean/types.js';

/** What a listing of the saga's tag says about the droplet this saga made. */
export type TaggedVerdict =
  | { verdict: 'none' }
  | { verdict: 'ours'; droplet: TaggedDroplet }
  | { verdict: 'conflict'; reason: string; dropletIds: number[]; ours?: TaggedDroplet };

export type TaggedDroplet = Pick<Droplet, 'id' | 'name' | 'tags'>;

export interface OwnDropletClues {
  tag: string;
  name: string;
  /** The droplet recorded from the POST's reply or an earlier adoption: proven ours. */
  recordedId: number | null;
}

/**
 * Which droplet of `listed` this saga made (ARCHITECTURE.md, "The restore saga"). The tag is the saga's own, so one
 * droplet carrying it and the droplet's name is ours. Anything else carrying the tag is a droplet the saga cannot
 * prove it made: a second one (impossible by construction), or one of another name. That is a conflict, which
 * the caller reports and never acts on; a recorded droplet stays ours even then.
 */
export function judgeTagged(listed: readonly TaggedDroplet[], clues: OwnDropletClues): TaggedVerdict {
  const tagged = listed.filter((droplet) => droplet.tags.includes(clues.tag));
  if (clues.recordedId !== null) {
    const ours = tagged.find((droplet) => droplet.id === clues.recordedId);
    const others = tagged.filter((droplet) => droplet.id !== clues.recordedId).map((droplet) => droplet.id);
    if (others.length > 0) {
      const reason = `besides its droplet ${clues.recordedId}, other droplets carry this saga's tag`;
      return { verdict: 'conflict', reason, dropletIds: others, ...(ours ? { ours } : {}) };
    }
    return ours ? { verdict: 'ours', droplet: ours } : { verdict: 'none' };
  }
  const [only, ...more] = tagged;
  if (!only) return { verdict: 'none' };
  if (more.length > 0) {
    const reason = `${tagged.length} droplets carry this saga's tag, which only one droplet ever gets`;
    return { verdict: 'conflict', reason, dropletIds: tagged.map((droplet) => droplet.id) };
  }
  if (only.name !== clues.name) {
    const named = JSON.stringify(only.name);
    const reason = `droplet ${only.id} carries this saga's tag but is named ${named}, not ${clues.name}`;
    return { verdict: 'conflict', reason, dropletIds: [only.id] };
  }
  return { verdict: 'ours', droplet: only };
}
