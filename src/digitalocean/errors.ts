import { ArcadiaError, ConfigError } from '../errors.js';
import type { PostedWrite } from './types.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/** Where a failed request went and what DigitalOcean said about it. Never holds a token. */
export interface RequestFailure {
  method: HttpMethod;
  /** Path and query, without the host: `/v2/droplets?tag_name=web&page=2&per_page=200`. */
  path: string;
  /** The HTTP status, or null when no reply arrived. */
  status: number | null;
  /** The error body's `id`, e.g. `not_found`. */
  providerId?: string;
  /** The error body's `message`, or the raw body when it was not JSON. */
  providerMessage: string;
  /** The body's `request_id`, else the `x-request-id` header. */
  requestId?: string;
}

function describe(failure: RequestFailure): string {
  const where = `${failure.method} ${failure.path}${failure.requestId ? `, request ${failure.requestId}` : ''}`;
  const status = failure.status === null ? '' : ` ${failure.status}`;
  const id = failure.providerId ? ` ${failure.providerId}` : '';
  return `DigitalOcean${status}${id}: ${failure.providerMessage} (${where})`;
}

/**
 * Anything DigitalOcean refused or the connection to it lost. The saga engine retries those whose `transient` is true.
 */
export abstract class DigitalOceanError extends ArcadiaError {
  abstract readonly transient: boolean;
  readonly status: number | null;
  readonly providerId: string | undefined;
  readonly providerMessage: string;
  readonly requestId: string | undefined;
  readonly method: HttpMethod;
  readonly path: string;

  constructor(failure: RequestFailure, options?: { cause?: unknown; suffix?: string }) {
    super(describe(failure) + (options?.suffix ?? ''), { cause: options?.cause });
    this.status = failure.status;
    this.providerId = failure.providerId;
    this.providerMessage = failure.providerMessage;
    this.requestId = failure.requestId;
    this.method = failure.method;
    this.path = failure.path;
  }
}

/** 400, e.g. "the resource is not a snapshot" for a backup id. */
export class BadRequestError extends DigitalOceanError {
  readonly code = 'digitalocean_bad_request';
  readonly transient = false;
}

/**
 * A token DigitalOcean rejected (401) or that lacks permission (403). A configuration problem: the CLI exits 4.
 * `variable` names the environment variable the rejected token came from, never its value.
 */
export abstract class DigitalOceanAuthError extends DigitalOceanError {
  readonly transient = false;
  /** Retrying will not help and rolling back needs the same token: the saga waits, resumable, for a fixed token. */
  readonly haltsExecutor = true;
  constructor(
    failure: RequestFailure,
    readonly variable: string,
    hint: string,
  ) {
    super(failure, { suffix: `; ${hint}` });
  }
}

export class UnauthorizedError extends DigitalOceanAuthError {
  readonly code = 'digitalocean_unauthorized';
  constructor(failure: RequestFailure, variable: string) {
    super(failure, variable, `the token from ${variable} was rejected: check it, or set a valid one`);
  }
}

export class ForbiddenError extends DigitalOceanAuthError {
  readonly code = 'digitalocean_forbidden';
  constructor(failure: RequestFailure, variable: string) {
    super(failure, variable, `the token from ${variable} lacks the permission (a read-only token cannot write)`);
  }
}

/** 404. Callers decide whether it means "no such droplet" (fatal) or "already gone" (success for a delete). */
export class NotFoundError extends DigitalOceanError {
  readonly code = 'digitalocean_not_found';
  readonly transient = false;
}

/** 422 "Droplet already has a pending event.": another action runs on the droplet; worth waiting for. */
export class PendingEventError extends DigitalOceanError {
  readonly code = 'digitalocean_pending_event';
  readonly transient = true;
}

/** Any other 422, e.g. "Droplet is already powered off.". */
export class UnprocessableError extends DigitalOceanError {
  readonly code = 'digitalocean_unprocessable';
  readonly transient = false;
}

/** 429 after the client's own retries. */
export class RateLimitedError extends DigitalOceanError {
  readonly code = 'digitalocean_rate_limited';
  readonly transient = true;
  constructor(
    failure: RequestFailure,
    /** How long the headers said to wait (retry-after, else until ratelimit-reset), if they said. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(failure);
  }
}

/** 5xx on a GET or DELETE after the client's retries. 501 means "never going to work", so it is not transient. */
export class ServerError extends DigitalOceanError {
  readonly code = 'digitalocean_server_error';
  readonly transient: boolean;
  constructor(failure: RequestFailure, options?: { cause?: unknown }) {
    super(failure, options);
    this.transient = failure.status !== 501;
  }
}

/** No reply to a GET or DELETE (connection refused or reset, timeout) after the client's retries. */
export class NetworkError extends DigitalOceanError {
  readonly code = 'digitalocean_network';
  readonly transient = true;
}

/**
 * 409: the volume already has a snapshot of that name (DigitalOcean does not document it, but sends it). For a
 * deterministic name this is "already made", which the caller adopts.
 */
export class ConflictError extends DigitalOceanError {
  readonly code = 'digitalocean_conflict';
  readonly transient = false;
}

/** Any other status DigitalOcean is not documented to send on these endpoints (405, ...). */
export class UnexpectedStatusError extends DigitalOceanError {
  readonly code = 'digitalocean_unexpected_status';
  readonly transient = false;
}

/** A success status with a body that is not the documented shape. */
export class MalformedResponseError extends DigitalOceanError {
  readonly code = 'digitalocean_malformed_response';
  readonly transient = false;
}

/** A reply body past the client's cap (ARCADIA_MAX_REPLY_BYTES): it was not read to its end. */
export class ReplyTooLargeError extends DigitalOceanError {
  readonly code = 'digitalocean_reply_too_large';
  readonly transient = false;
  constructor(
    failure: RequestFailure,
    readonly limitBytes: number,
  ) {
    super(failure);
  }
}

/** A listing page with more items than the `per_page` asked for: the server ignores the bound arcadia set. */
export class OversizedPageError extends DigitalOceanError {
  readonly code = 'digitalocean_oversized_page';
  readonly transient = false;
  constructor(
    failure: RequestFailure,
    readonly page: number,
    readonly items: number,
    readonly perPage: number,
  ) {
    super(failure);
  }
}

/** A listing that goes on past the most pages arcadia reads (ARCADIA_MAX_PAGES). */
export class TooManyPagesError extends DigitalOceanError {
  readonly code = 'digitalocean_too_many_pages';
  readonly transient = false;
  constructor(
    failure: RequestFailure,
    readonly maxPages: number,
  ) {
    super(failure);
  }
}

/**
 * A POST whose outcome is unknown: the connection dropped, it timed out, or a 5xx came back, so the action may
 * or may not have been created. It is transient (trying again later is right) but the step must reconcile
 * first (look for the action or the snapshot it made) instead of blindly posting again; the client never
 * re-posts on its own.
 */
export class OutcomeUnknownError extends DigitalOceanError {
  readonly code = 'digitalocean_outcome_unknown';
  readonly transient = true;
  constructor(
    failure: RequestFailure,
    /** What was posted: the action's `type`, or `volume_snapshot`. */
    readonly attemptedType: PostedWrite,
    options?: { cause?: unknown },
  ) {
    super(failure, {
      cause: options?.cause,
      suffix: `; the ${attemptedType} action may or may not have been created: reconcile before posting again`,
    });
  }
}

export type TokenPurpose = 'provisioning' | 'read';

/** No token for what the request needs; thrown before any request is made. */
export class MissingTokenError extends ConfigError {
  constructor(
    readonly purpose: TokenPurpose,
    variables: readonly string[],
  ) {
    super(
      `no DigitalOcean token for ${purpose === 'read' ? 'reads' : 'writes'}: set ${orList(variables)}`,
      variables[0],
    );
  }
}

function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** ARCADIA_RATE_RESERVE is not a percentage arcadia can keep: bad input, exit 2, before any saga runs. */
export class RateReserveError extends ArcadiaError {
  readonly code = 'bad_rate_reserve';
  constructor(
    readonly variable: string,
    got: string,
  ) {
    super(`${variable} must be a percentage from 0 to 99 (like 20 or 20%), got "${got.slice(0, 40)}"`);
  }
}
