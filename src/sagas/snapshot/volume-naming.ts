const VOLUME_NAME = /^arcadia-vsnap-(\d+)-([0-9a-f]{8})-([0-9a-f]{8})$/;

/**
 * `arcadia-vsnap-<droplet-id>-<first 8 hex of the saga id>-<first 8 hex of the volume id>`: DigitalOcean keeps
 * volume snapshot names unique per volume, so this name is the saga's key for the volume (a 409 means "made").
 */
export function volumeSnapshotName(dropletId: number, sagaId: string, volumeId: string): string {
  const saga = sagaId.replace(/-/g, '').slice(0, 8).toLowerCase();
  const volume = volumeId.replace(/-/g, '').slice(0, 8).toLowerCase();
  return `arcadia-vsnap-${dropletId}-${saga}-${volume}`;
}

export interface ParsedVolumeSnapshotName {
  dropletId: number;
  sagaPrefix: string;
  volumePrefix: string;
}

/** Reads a volume snapshot name arcadia made; undefined for anything else (never touch what arcadia did not make). */
export function parseVolumeSnapshotName(name: string): ParsedVolumeSnapshotName | undefined {
  const match = VOLUME_NAME.exec(name);
  if (!match) return undefined;
  return { dropletId: Number(match[1]), sagaPrefix: match[2] ?? '', volumePrefix: match[3] ?? '' };
}

/** Whether `name` is arcadia's snapshot of this volume for this droplet. */
export function isOwnVolumeSnapshot(name: string, dropletId: number, volumeId: string): boolean {
  const parsed = parseVolumeSnapshotName(name);
  return (
    parsed?.dropletId === dropletId && parsed.volumePrefix === volumeId.replace(/-/g, '').slice(0, 8).toLowerCase()
  );
}
