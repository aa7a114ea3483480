import { describe, expect, it } from 'vitest';
import { parseInputs } from '../../src/cli/parse.js';
import { UsageError } from '../../src/errors.js';

describe('parseInputs', () => {
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'takes %s as an ordinary key, given once',
    (key) => {
      const inputs = parseInputs([`${key}=1`, 'other=x']);
      expect(Object.hasOwn(inputs, key)).toBe(true);
      expect(inputs[key]).toBe(1);
      expect(JSON.parse(JSON.stringify(inputs))).toEqual(JSON.parse(`{"${key}":1,"other":"x"}`));
    },
  );

  it('still refuses a key given twice, including one named after an Object method', () => {
    expect(() => parseInputs(['toString=1', 'toString=2'])).toThrow(new UsageError('--input toString given twice'));
    expect(() => parseInputs(['a=1', 'a=2'])).toThrow(UsageError);
  });

  it('keeps numbers and booleans typed', () => {
    expect({ ...parseInputs(['n=12', 'b=true', 's=012']) }).toEqual({ n: 12, b: true, s: '012' });
  });
});
