import { ConfigError } from './errors.js';

/**
 * The one parser of integer environment variables: unset or blank gives the fallback; anything else must be plain
 * digits (surrounding blanks allowed) within the bounds, or a ConfigError (exit 4) names the variable, the bounds
 * and the first 40 characters of what it got.
 */
export function integerFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const bounds = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(`${name} must be a whole number ${bounds}, got "${raw.slice(0, 40)}"`, name);
  }
  return value;
}
