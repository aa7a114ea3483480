/**
 * DigitalOcean's datacenter region slugs (docs.digitalocean.com/platform/regional-availability). A typo in
 * `--copy-to` is refused before any saga, instead of failing the transfer after the snapshot was taken.
 */
export const REGION_SLUGS: readonly string[] = [
  'ams2',
  'ams3',
  'atl1',
  'blr1',
  'fra1',
  'lon1',
  'nyc1',
  'nyc2',
  'nyc3',
  'sfo1',
  'sfo2',
  'sfo3',
  'sgp1',
  'syd1',
  'tor1',
];

export function isRegionSlug(value: string): boolean {
  return REGION_SLUGS.includes(value);
}
