import { UsageError } from '../../errors.js';

const PREFIX = 'arcadia-snap-';
/** Labels end up in snapshot names and terminals: a conservative alphabet keeps both safe. */
const LABEL = /^[a-z0-9][a-z0-9._-]{0,39}$/;

export function validateLabel(label: string): string {
  if (!LABEL.test(label)) {
    throw new UsageError(
      '--label must be 1-40 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit',
    );
  }
  return label;
}

/**
 * `arcadia-snap-<droplet-id>-<first 8 hex of the saga id>[-<label>]`: deterministic per saga, so a re-executed step
 * finds its own snapshot, and distinct across sagas, so two runs never adopt each other's.
 */
export function snapshotName(dropletId: number, sagaId: string, label?: string): string {
  const hex = sagaId.replace(/-/g, '').slice(0, 8);
  return `${PREFIX}${dropletId}-${hex}${label ? `-${label}` : ''}`;
}

export interface ParsedSnapshotName {
  dropletId: number;
  sagaPrefix: string;
  label: string | null;
}

/** Reads a name arcadia made; undefined for anything else (never touch what arcadia did not make). */
export function parseSnapshotName(name: string): ParsedSnapshotName | undefined {
  const match = /^arcadia-snap-(\d+)-([0-9a-f]{8})(?:-([a-z0-9][a-z0-9._-]{0,39}))?$/.exec(name);
  if (!match) return undefined;
  return { dropletId: Number(match[1]), sagaPrefix: match[2] ?? '', label: match[3] ?? null };
}
