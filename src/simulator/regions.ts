import type { Region } from '../digitalocean/types.js';

const NAMES: Record<string, string> = {
  ams3: 'Amsterdam 3',
  blr1: 'Bangalore 1',
  fra1: 'Frankfurt 1',
  lon1: 'London 1',
  nyc1: 'New York 1',
  nyc3: 'New York 3',
  sfo3: 'San Francisco 3',
  sgp1: 'Singapore 1',
  syd1: 'Sydney 1',
  tor1: 'Toronto 1',
};

const FEATURES = ['backups', 'ipv6', 'metadata', 'install_agent', 'storage', 'image_transfer'];
const SIZES = ['s-1vcpu-1gb', 's-1vcpu-2gb', 's-2vcpu-2gb', 's-2vcpu-4gb', 's-4vcpu-8gb', 's-8vcpu-16gb'];

/** The full region object DigitalOcean embeds in droplets and actions. */
export function regionObject(slug: string): Region {
  return { name: NAMES[slug] ?? slug.toUpperCase(), slug, features: [...FEATURES], available: true, sizes: [...SIZES] };
}

/** Regions the simulator knows: a transfer elsewhere is refused. */
export function isKnownRegion(slug: string): boolean {
  return Object.hasOwn(NAMES, slug);
}
