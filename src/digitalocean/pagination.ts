import type { Links } from './types.js';

/** The most DigitalOcean serves per page; fewer pages means fewer requests against the shared rate limit. */
export const PER_PAGE = 200;

/**
 * Stops a server that keeps sending `next`: 250 pages of 200 (50,000 droplets or snapshots) is far beyond any
 * account, and with the body cap it bounds what one listing can hold in memory.
 */
export const DEFAULT_MAX_PAGES = 250;

export interface PageLimits {
  /** The `per_page` asked for: a page with more items is refused. */
  perPage: number;
  maxPages: number;
}

export interface Page<T> {
  items: T[];
  links: Links | undefined;
}

export type PageProblem =
  | { kind: 'malformed-next' }
  | { kind: 'oversized-page'; items: number; perPage: number }
  | { kind: 'too-many-pages'; maxPages: number };

/** Makes the caller's error for a listing that cannot go on; `page` is the page that showed the problem. */
export type RefusePage = (message: string, page: number, problem: PageProblem) => Error;

/**
 * The page number `links.pages.next` points at, or undefined at the end of the list. Only the number is taken:
 * the absolute URL came from a response, and the token must not follow it to whatever host it names.
 */
export function nextPageNumber(links: Links | undefined): number | undefined | { malformed: string } {
  const next: unknown = links?.pages?.next;
  if (next === undefined) return undefined;
  if (typeof next !== 'string') return { malformed: `links.pages.next is ${describeType(next)}, not a URL` };
  const base = 'http://placeholder.invalid';
  const raw = URL.canParse(next, base) ? new URL(next, base).searchParams.get('page') : null;
  const page = Number(raw ?? NaN);
  if (!Number.isSafeInteger(page) || page < 1) {
    return { malformed: `links.pages.next has no page number: ${next.slice(0, 200)}` };
  }
  return page;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * Fetches page 1, then every page `next` names, rebuilding each request with the caller's base URL and filters.
 * `refuse` makes the error for a `next` link that cannot be followed, a page larger than asked for, or too many pages.
 */
export async function collectPages<T>(
  fetchPage: (page: number) => Promise<Page<T>>,
  refuse: RefusePage,
  limits: PageLimits = { perPage: PER_PAGE, maxPages: DEFAULT_MAX_PAGES },
): Promise<T[]> {
  const all: T[] = [];
  let page = 1;
  for (let fetched = 0; fetched < limits.maxPages; fetched += 1) {
    const { items, links } = await fetchPage(page);
    if (items.length > limits.perPage) {
      const problem: PageProblem = { kind: 'oversized-page', items: items.length, perPage: limits.perPage };
      throw refuse(`page ${page} has ${items.length} items, more than the ${limits.perPage} asked for`, page, problem);
    }
    all.push(...items);
    const next = nextPageNumber(links);
    if (next === undefined) return all;
    if (typeof next === 'object') throw refuse(next.malformed, page, { kind: 'malformed-next' });
    if (next <= page) {
      throw refuse(`links.pages.next goes back from page ${page} to page ${next}`, page, { kind: 'malformed-next' });
    }
    page = next;
  }
  const problem: PageProblem = { kind: 'too-many-pages', maxPages: limits.maxPages };
  throw refuse(`more than ${limits.maxPages} pages (ARCADIA_MAX_PAGES): stopped`, page, problem);
}
