/**
 * The tag every restored droplet carries: `arcadia-saga-<saga id>`. Saga ids are random UUIDs, so nothing else
 * carries it, and after a crash or a lost reply `GET /v2/droplets?tag_name=` finds the droplet the saga made.
 */
export const RESTORE_TAG_PREFIX = 'arcadia-saga-';

export function restoreTag(sagaId: string): string {
  return `${RESTORE_TAG_PREFIX}${sagaId}`;
}

/** The saga id a restore tag names, or undefined for any other tag. */
export function sagaIdOfRestoreTag(tag: string): string | undefined {
  const match = /^arcadia-saga-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(tag);
  return match?.[1];
}

/** `arcadia-restore-<first 8 hex of the saga id>`: the default name of a restored droplet. */
export function defaultRestoreName(sagaId: string): string {
  return `arcadia-restore-${sagaId.replace(/-/g, '').slice(0, 8)}`;
}

/** DigitalOcean's droplet name rule (ARCHITECTURE.md): no underscores, ends with a letter or digit, at most 255. */
const DROPLET_NAME = /^[a-zA-Z0-9]?[a-z0-9A-Z.-]*[a-z0-9A-Z]$/;

export function isDropletName(name: string): boolean {
  return name.length <= 255 && DROPLET_NAME.test(name);
}
