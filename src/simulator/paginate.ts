import type { Links, Meta } from '../digitalocean/types.js';

const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 200;

export interface Paging {
  page: number;
  perPage: number;
}

/**
 * `page` (≥ 1, default 1) and `per_page` (default 20, clamped to 200; DigitalOcean's behaviour past 200 is
 * unverified).
 */
export function parsePaging(query: URLSearchParams, maxPerPage = MAX_PER_PAGE): Paging | { problem: string } {
  const page = query.get('page') ?? '1';
  const perPage = query.get('per_page') ?? String(DEFAULT_PER_PAGE);
  if (!/^\d+$/.test(page) || Number(page) < 1)
    return { problem: `page must be a positive integer, got ${JSON.stringify(page)}` };
  if (!/^\d+$/.test(perPage) || Number(perPage) < 1)
    return { problem: `per_page must be a positive integer, got ${JSON.stringify(perPage)}` };
  return { page: Number(page), perPage: Math.min(Number(perPage), maxPerPage) };
}

export interface PageOf<T> {
  items: T[];
  /** Absent on some single pages: DigitalOcean sends no links, `{}` or `{pages: {}}` there. */
  links?: Links;
  meta: Meta;
}

/**
 * One page with absolute `links.pages` URLs (only those that apply) that repeat the request's filters.
 * `singlePageStyle` picks which of the three single-page shapes to send, so clients meet all of them.
 */
export function paginate<T>(
  all: T[],
  paging: Paging,
  pageUrl: (page: number) => string,
  singlePageStyle: number,
): PageOf<T> {
  const { page, perPage } = paging;
  const last = Math.max(1, Math.ceil(all.length / perPage));
  const items = all.slice((page - 1) * perPage, page * perPage);
  const meta = { total: all.length };
  if (last === 1 && page === 1) {
    const style = singlePageStyle % 3;
    if (style === 0) return { items, meta };
    return { items, meta, links: style === 1 ? {} : { pages: {} } };
  }
  const pages: NonNullable<Links['pages']> = {};
  if (page > 1) {
    pages.first = pageUrl(1);
    pages.prev = pageUrl(Math.min(page - 1, last));
  }
  if (page < last) {
    pages.next = pageUrl(page + 1);
    pages.last = pageUrl(last);
  }
  return { items, meta, links: { pages } };
}
