/**
 * Hand-written checks of the DigitalOcean spec's shapes (openapi: action.yml, droplet.yml, droplet_snapshot.yml,
 * snapshots.yml, error.yml, pages.yml, meta.yml). Each returns a list of problems, empty when the value fits.
 */

type FieldType =
  'integer' | 'number' | 'string' | 'boolean' | 'null' | 'array' | 'object' | 'string[]' | 'integer[]' | 'datetime';

/** `'string|null'` style unions; a leading `?` makes the field optional. */
export type Schema = Record<string, string>;

const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

function fits(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'integer[]':
      return Array.isArray(value) && value.every((v) => Number.isInteger(v));
    case 'datetime':
      return typeof value === 'string' && ISO_SECONDS.test(value);
  }
}

export function problems(value: unknown, schema: Schema, where = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [`${where || 'value'} is not an object`];
  const record = value as Record<string, unknown>;
  const out: string[] = [];
  for (const [key, spec] of Object.entries(schema)) {
    const optional = spec.startsWith('?');
    const types = spec.replace(/^\?/, '').split('|') as FieldType[];
    if (!(key in record)) {
      if (!optional) out.push(`${where}${key} is missing`);
      continue;
    }
    if (!types.some((t) => fits(record[key], t)))
      out.push(`${where}${key} is ${JSON.stringify(record[key])}, not ${types.join(' or ')}`);
  }
  return out;
}

export function forbidden(value: unknown, keys: string[], where = ''): string[] {
  const record = value as Record<string, unknown>;
  return keys.filter((k) => k in record).map((k) => `${where}${k} must not be present`);
}

export const REGION: Schema = {
  name: 'string',
  slug: 'string',
  features: 'string[]',
  available: 'boolean',
  sizes: 'string[]',
};

export const ACTION: Schema = {
  id: 'integer',
  status: 'string',
  type: 'string',
  started_at: 'datetime',
  completed_at: 'datetime|null',
  resource_id: 'integer|null',
  resource_type: 'string',
  region: 'object',
  region_slug: 'string|null',
};

/** `links.actions[]` of a droplet create (shared/models/action_link.yml). */
export const ACTION_LINK: Schema = { id: 'integer', rel: 'string', href: 'string' };

export const DROPLET: Schema = {
  id: 'integer',
  name: 'string',
  memory: 'integer',
  vcpus: 'integer',
  disk: 'integer',
  locked: 'boolean',
  status: 'string',
  created_at: 'datetime',
  snapshot_ids: 'integer[]',
  backup_ids: 'integer[]',
  tags: 'string[]',
  region: 'object',
  size_slug: 'string',
  volume_ids: 'string[]',
  next_backup_window: 'object|null',
  features: 'string[]',
  networks: 'object',
  image: 'object',
  size: 'object',
};

const SNAPSHOT_BASE: Schema = {
  name: 'string',
  created_at: 'datetime',
  regions: 'string[]',
  min_disk_size: 'integer',
  size_gigabytes: 'number',
};

/** `/v2/droplets/{id}/snapshots`: integer id and a type; no resource fields. */
export const DROPLET_SNAPSHOT: Schema = { id: 'integer', ...SNAPSHOT_BASE, type: 'string' };

/** `/v2/snapshots`: string id and resource_id, tags array or null. */
export const SNAPSHOT: Schema = {
  id: 'string',
  ...SNAPSHOT_BASE,
  resource_id: 'string',
  resource_type: 'string',
  tags: 'string[]|null',
};

/** `/v2/volumes` (volume_full.yml): UUID id, droplet_ids nullable, a region object. */
export const VOLUME: Schema = {
  id: 'string',
  name: 'string',
  droplet_ids: 'integer[]|null',
  size_gigabytes: 'integer',
  created_at: 'datetime',
  region: 'object',
  description: '?string',
  filesystem_type: '?string',
  tags: '?string[]|null',
};

export const ERROR_BODY: Schema = { id: 'string', message: 'string', request_id: '?string' };

export const ACCOUNT: Schema = {
  droplet_limit: 'integer',
  floating_ip_limit: 'integer',
  email: 'string',
  uuid: 'string',
  email_verified: 'boolean',
  status: 'string',
  status_message: 'string',
};

export function rateLimitHeaderProblems(headers: Headers, where: string): string[] {
  return ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']
    .filter((name) => !/^\d+$/.test(headers.get(name) ?? ''))
    .map((name) => `${where}: header ${name} is ${JSON.stringify(headers.get(name))}, not an integer`);
}
