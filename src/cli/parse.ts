import { InvalidArgumentError } from 'commander';
import type { Json, SagaContext } from '../engine/types.js';
import { UsageError } from '../errors.js';

/** A commander parser for whole numbers in a range, so `--limit abc` is refused before anything runs. */
export function intInRange(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const TAG = /^[a-zA-Z0-9_:-]{1,255}$/;

/** DigitalOcean's tag-name alphabet, checked before the tag reaches a URL or the ledger. */
export function validateTag(tag: string): string {
  if (!TAG.test(tag))
    throw new UsageError(`--tag "${tag.slice(0, 40)}" is not a DigitalOcean tag name (letters, digits, _ : -)`);
  return tag;
}

const INPUT_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/**
 * `--input key=value` pairs; a value that parses as a JSON number or boolean keeps that type. The map has no
 * prototype, so keys such as `toString`, `constructor` or `__proto__` are plain keys like any other.
 */
export function parseInputs(pairs: string[]): SagaContext {
  const inputs = Object.create(null) as SagaContext;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : '';
    if (!INPUT_KEY.test(key))
      throw new UsageError(`--input "${pair.slice(0, 60)}" must look like key=value (key: letters, digits, _ . -)`);
    if (Object.hasOwn(inputs, key)) throw new UsageError(`--input ${key} given twice`);
    const raw = pair.slice(eq + 1);
    let value: Json = raw;
    if (/^-?\d+(\.\d+)?$/.test(raw) && Number.isFinite(Number(raw)) && String(Number(raw)) === raw) value = Number(raw);
    else if (raw === 'true' || raw === 'false') value = raw === 'true';
    inputs[key] = value;
  }
  return inputs;
}
