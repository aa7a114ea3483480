import { ConfigError } from './errors.js';

/** ARCADIA_HEARTBEAT_MS too close to ARCADIA_LOCK_STALE_MS: a live owner would look stale between two beats. */
export class LeaseSettingsError extends ConfigError {
  constructor(
    readonly heartbeatMs: number,
    readonly lockStaleMs: number,
    readonly minBeatsPerStaleTime: number,
  ) {
    super(
      `ARCADIA_HEARTBEAT_MS (${heartbeatMs}) must be at most 1/${minBeatsPerStaleTime} of ARCADIA_LOCK_STALE_MS ` +
        `(${lockStaleMs}), so an owner beats several times before its lock could look stale; ` +
        `lower ARCADIA_HEARTBEAT_MS to ${Math.floor(lockStaleMs / minBeatsPerStaleTime)} or less, ` +
        'or raise the stale time',
      'ARCADIA_HEARTBEAT_MS',
    );
  }
}
