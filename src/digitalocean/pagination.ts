import type { Links } from './types.js';

/** The most DigitalOcean serves per page; fewer pages means fewer requests against the shared rate limit. */
export const PER_PAGE = 200;

/** Stops a server that keeps sending `next` from looping forever: 1000 pages of 200 is far beyond any account. */
const MAX_PAGES = 1000;

export interface Page<T> {
  items: T[];
  links: Links | undefined;
}

/**
 * The page number `links.pages.next` points at, or undefined at the end of the list. Only the number is taken:
 * the absolute URL came from a response, and the token must not follow it to whatever host it names.
 */
export function nextPageNumber(links: Links | undefined): number | undefined | { malformed: string } {
  const next = links?.pages?.next;
  if (next === undefined) return undefined;
  const raw = URL.canParse(next, 'http://placeholder.invalid') ? new URL(next, 'http://placeholder.invalid').searchParams.get('page') : null;
  const page = Number(raw ?? NaN);
  if (!Number.isSafeInteger(page) || page < 1) return { malformed: `links.pages.next has no page number: ${next.slice(0, 200)}` };
  return page;
}

/**
 * Fetches page 1, then every page `next` names, rebuilding each request with the caller's base URL and filters.
 * `malformed` makes the error for a `next` link that cannot be followed.
 */
export async function collectPages<T>(fetchPage: (page: number) => Promise<Page<T>>, malformed: (message: string, page: number) => Error): Promise<T[]> {
  const all: T[] = [];
  let page = 1;
  for (let fetched = 0; fetched < MAX_PAGES; fetched += 1) {
    const { items, links } = await fetchPage(page);
    all.push(...items);
    const next = nextPageNumber(links);
    if (next === undefined) return all;
    if (typeof next === 'object') throw malformed(next.malformed, page);
    if (next <= page) throw malformed(`links.pages.next goes back from page ${page} to page ${next}`, page);
    page = next;
  }
  throw malformed(`more than ${MAX_PAGES} pages: stopped`, page);
}
