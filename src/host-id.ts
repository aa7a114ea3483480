import { hostname } from 'node:os';
import { ConfigError } from './errors.js';

/**
 * A host id as lock files, lease records and `saga show` carry it: letters, digits, dots, dashes and underscores,
 * starting with a letter or digit, at most 64 characters (a DNS label's worth and then some). Nothing that could
 * break a log line, a table column or a SQL literal.
 */
const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** ARCADIA_HOST_ID (or, unset, the hostname) that arcadia cannot use as a host id. */
export class HostIdError extends ConfigError {
  constructor(
    readonly hostId: string,
    readonly fromEnv: boolean,
  ) {
    super(
      fromEnv
        ? `ARCADIA_HOST_ID ${JSON.stringify(hostId)} is not a host id: use 1 to 64 letters, digits, '.', '-' or '_', ` +
            'starting with a letter or digit'
        : `this machine's hostname ${JSON.stringify(hostId)} is not usable as a host id: set ARCADIA_HOST_ID ` +
            "(1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit)",
      'ARCADIA_HOST_ID',
    );
  }
}

/**
 * The name of this host in lease records and lock files: ARCADIA_HOST_ID, else the hostname. Two hosts sharing a
 * ledger must never share one: a same-host owner is judged by the process table, another host's by its heartbeat.
 */
export function hostIdFromEnv(env: NodeJS.ProcessEnv, machineName: () => string = hostname): string {
  const given = env.ARCADIA_HOST_ID;
  const fromEnv = given !== undefined && given !== '';
  const hostId = fromEnv ? given : machineName();
  if (!HOST_ID.test(hostId)) throw new HostIdError(hostId, fromEnv);
  return hostId;
}
