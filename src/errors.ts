/**
 * The root of every error arcadia raises on purpose. The CLI maps each subclass to an exit code in one place
 * (src/cli/exit-codes.ts); anything that is not an ArcadiaError is a bug and exits 1 with its message.
 */
export abstract class ArcadiaError extends Error {
  /** A stable, machine-readable identifier, printed as `error.code` in `--json` mode. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command-line input: exit 2. */
export class UsageError extends ArcadiaError {
  readonly code = 'usage';
}

/** Missing or rejected configuration (tokens, URLs, homes): exit 4. `variable` names what to set, never its value. */
export class ConfigError extends ArcadiaError {
  readonly code = 'config';
  /** A saga step meeting it stops the executor and stays resumable (see isHaltingError). */
  readonly haltsExecutor = true;
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
  }
}
