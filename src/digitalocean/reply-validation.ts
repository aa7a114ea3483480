/**
 * Checks the fields arcadia reads in every reply before anything uses them: a wrong type or a strange id must be a
 * clear provider error, not a crash deep in a step (`e.slice is not a function`), and never coerced into something
 * else (`Number("0x65")` is 101, which slipped past the overlap guard as a second droplet id).
 */

/** What is wrong with a value, in words fit for an error message, or undefined when it is fine. */
export type ShapeCheck = (value: unknown, where: string) => string | undefined;

interface Rule {
  test: (value: unknown) => boolean;
  expected: string;
}

const positiveInteger: Rule = {
  test: (v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0,
  expected: 'a positive whole number',
};
const text: Rule = { test: (v) => typeof v === 'string', expected: 'a string' };
const finiteNumber: Rule = { test: (v) => typeof v === 'number' && Number.isFinite(v), expected: 'a number' };
const boolean: Rule = { test: (v) => typeof v === 'boolean', expected: 'true or false' };
const digitString: Rule = {
  test: (v) => typeof v === 'string' && /^[1-9][0-9]{0,15}$/.test(v) && Number.isSafeInteger(Number(v)),
  expected: 'a string of digits',
};
const uuidString: Rule = {
  test: (v) => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  expected: 'a UUID',
};
const stringArray: Rule = {
  test: (v) => Array.isArray(v) && v.every((item) => typeof item === 'string'),
  expected: 'an array of strings',
};
const object: Rule = { test: isRecord, expected: 'an object' };
const uuidArray: Rule = {
  test: (v) => Array.isArray(v) && v.every((item) => uuidString.test(item)),
  expected: 'an array of UUIDs',
};
const positiveIntegerArray: Rule = {
  test: (v) => Array.isArray(v) && v.every((item) => positiveInteger.test(item)),
  expected: 'an array of positive whole numbers',
};

function nullable(rule: Rule): Rule {
  return { test: (v) => v === null || rule.test(v), expected: `${rule.expected} or null` };
}

/** Absent is fine; present must fit. */
function optional(rule: Rule): Rule & { optional: true } {
  return { ...rule, optional: true };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, inert rendering of a bad value: JSON-quoted, so a string shows its quotes and its escapes. */
function shown(value: unknown): string {
  if (value === undefined) return 'missing';
  const json = JSON.stringify(value) ?? typeof value;
  return json.length > 60 ? `${json.slice(0, 60)}…` : json;
}

function shape(fields: Record<string, Rule & { optional?: true }>): ShapeCheck {
  return (value, where) => {
    if (!isRecord(value)) return `${where} is ${shown(value)}, not an object`;
    for (const [key, rule] of Object.entries(fields)) {
      const field = Object.hasOwn(value, key) ? value[key] : undefined;
      if (field === undefined && rule.optional) continue;
      if (!rule.test(field)) return `${where}.${key} is ${shown(field)}, not ${rule.expected}`;
    }
    return undefined;
  };
}

export const checkAction: ShapeCheck = shape({
  id: positiveInteger,
  // any string: what an unknown status means is the waiting code's business, not the shape's
  status: text,
  type: text,
  started_at: text,
  completed_at: nullable(text),
  resource_id: nullable(positiveInteger),
});

export const checkDroplet: ShapeCheck = shape({
  id: positiveInteger,
  name: text,
  disk: finiteNumber,
  locked: boolean,
  status: text,
  tags: optional(stringArray),
  // they end up in request paths: only UUIDs pass
  volume_ids: optional(uuidArray),
});

/** `/v2/volumes`: a UUID id, and the droplet (at most one) that holds it. */
export const checkVolume: ShapeCheck = shape({
  id: uuidString,
  name: text,
  droplet_ids: nullable(positiveIntegerArray),
});

/** As `/v2/droplets/{id}/snapshots` lists them: integer ids. */
export const checkDropletSnapshot: ShapeCheck = shape({
  id: positiveInteger,
  name: text,
  created_at: text,
  size_gigabytes: finiteNumber,
  type: text,
});

const snapshotFields = shape({
  id: text,
  name: text,
  created_at: text,
  size_gigabytes: finiteNumber,
  resource_type: text,
  resource_id: text,
});
// transfers are checked against them
const snapshotRegions = shape({ regions: optional(stringArray) });
const dropletSnapshotIds = shape({ id: digitString, resource_id: digitString });
const volumeSnapshotIds = shape({ id: uuidString, resource_id: uuidString });

/** As `/v2/snapshots` shows them: string ids, digits for a droplet's snapshot, a UUID for a volume's. */
export const checkSnapshot: ShapeCheck = (value, where) => {
  const problem = snapshotFields(value, where) ?? snapshotRegions(value, where);
  if (problem !== undefined || !isRecord(value)) return problem;
  if (value.resource_type === 'droplet') return dropletSnapshotIds(value, where);
  if (value.resource_type === 'volume') return volumeSnapshotIds(value, where);
  return `${where}.resource_type is ${shown(value.resource_type)}, not "droplet" or "volume"`;
};

const actionLink = shape({ id: positiveInteger, rel: text });

/**
 * The reply to `POST /v2/droplets`: `{droplet, links: {actions: [{id, rel, href}]}}`, both keys required
 * (ARCHITECTURE.md). The action links are checked for the ids arcadia polls; the href is never followed.
 */
export const checkDropletCreated: ShapeCheck = (value, where) => {
  if (!isRecord(value)) return `${where} is ${shown(value)}, not an object`;
  const problem = checkDroplet(value.droplet, `${where}.droplet`);
  if (problem !== undefined) return problem;
  if (!isRecord(value.links)) return `${where}.links is ${shown(value.links)}, not an object`;
  const actions = value.links.actions;
  if (actions === undefined) return undefined;
  if (!Array.isArray(actions)) return `${where}.links.actions is ${shown(actions)}, not an array`;
  return checkEach(actions, actionLink, `${where}.links.actions`);
};

/** Only its presence is used (a token check). */
export const checkAccount: ShapeCheck = shape({});

const pageLinks = shape({ first: optional(text), prev: optional(text), next: optional(text), last: optional(text) });
const linkRoot = shape({ pages: optional(object) });

/** `links` may be missing or empty; what it holds must be URLs. */
export const checkLinks: ShapeCheck = (value, where) => {
  if (value === undefined) return undefined;
  const problem = linkRoot(value, where);
  if (problem !== undefined || !isRecord(value) || value.pages === undefined) return problem;
  return pageLinks(value.pages, `${where}.pages`);
};

/** The first problem among the items of a list, named by index. */
export function checkEach(items: readonly unknown[], check: ShapeCheck, where: string): string | undefined {
  for (const [index, item] of items.entries()) {
    const problem = check(item, `${where}[${index}]`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
