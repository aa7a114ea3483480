import { UsageError } from '../../errors.js';

/** A retention option that cannot be applied (a malformed duration, an unknown zone, a missing count): exit 2. */
export class InvalidRetentionPolicyError extends UsageError {
  constructor(
    /** The flag or saga input at fault, e.g. `--keep-within` or `keep_within`. */
    readonly option: string,
    /** What was given, cut short so hostile input cannot flood a terminal. */
    readonly given: string,
    reason: string,
  ) {
    super(`${option} "${given.slice(0, 40)}": ${reason}`);
  }
}
