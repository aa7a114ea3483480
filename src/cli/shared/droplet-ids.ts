import { UsageError } from '../../errors.js';

/** Droplet ids from the command line, each a positive whole number, duplicates dropped. */
export function parseDropletIds(values: string[]): number[] {
  const ids = values.map((value) => {
    if (!/^\d{1,15}$/.test(value) || Number(value) < 1) {
      throw new UsageError(`"${value.slice(0, 40)}" is not a droplet id (a positive whole number)`);
    }
    return Number(value);
  });
  return [...new Set(ids)];
}
