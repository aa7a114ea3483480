import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PendingEventError,
  RateLimitedError,
  ServerError,
  UnauthorizedError,
  UnexpectedStatusError,
  UnprocessableError,
  type DigitalOceanError,
  type RequestFailure,
} from './errors.js';
import { redactorFor } from './redaction.js';

const MAX_MESSAGE_CHARS = 300;
/** Request ids are UUIDs; anything longer is not one and is cut. */
const MAX_REQUEST_ID_CHARS = 80;
const MAX_SCANNED_CHARS = 65_536;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

interface ErrorBody {
  id?: string;
  message?: string;
  request_id?: string;
}

function parseErrorBody(text: string): ErrorBody | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const record = parsed as Record<string, unknown>;
    const str = (key: string): string | undefined => (typeof record[key] === 'string' ? record[key] : undefined);
    return { id: str('id'), message: str('message'), request_id: str('request_id') };
  } catch {
    return undefined;
  }
}

/**
 * DigitalOcean's error body `{id, message, request_id?}`, or the raw text when the body is not JSON (as godo does).
 * Every field is redacted before it is cut: a cut first could leave most of a token that straddles it.
 */
export function describeFailure(
  reply: { status: number; text: string; headers: Headers },
  request: { method: RequestFailure['method']; path: string },
  secrets: readonly string[],
): RequestFailure {
  const redact = redactorFor(secrets);
  // redacting a whole multi-megabyte error page would cost seconds; far past the cut, nothing of it is shown
  const scrub = (text: string, max: number): string => clip(redact(text.slice(0, MAX_SCANNED_CHARS)), max);
  const body = parseErrorBody(reply.text);
  const raw = reply.text.slice(0, MAX_SCANNED_CHARS).replace(/\s+/g, ' ').trim();
  const message = body?.message ?? (raw === '' ? `HTTP ${reply.status} with an empty body` : raw);
  const requestId = body?.request_id ?? reply.headers.get('x-request-id') ?? undefined;
  return {
    method: request.method,
    path: request.path,
    status: reply.status,
    providerId: body?.id === undefined ? undefined : scrub(body.id, MAX_MESSAGE_CHARS),
    providerMessage: scrub(message, MAX_MESSAGE_CHARS),
    requestId: requestId === undefined ? undefined : scrub(requestId, MAX_REQUEST_ID_CHARS),
  };
}

const PENDING_EVENT = /pending event/i;

/** The typed error for a non-2xx reply. `tokenVariable` names where the token used came from, for 401/403. */
export function errorForReply(
  failure: RequestFailure,
  tokenVariable: string,
  retryAfterMs: number | undefined,
): DigitalOceanError {
  const status = failure.status ?? 0;
  if (status === 400) return new BadRequestError(failure);
  if (status === 401) return new UnauthorizedError(failure, tokenVariable);
  if (status === 403) return new ForbiddenError(failure, tokenVariable);
  if (status === 404) return new NotFoundError(failure);
  if (status === 409) return new ConflictError(failure);
  if (status === 422)
    return PENDING_EVENT.test(failure.providerMessage)
      ? new PendingEventError(failure)
      : new UnprocessableError(failure);
  if (status === 429) return new RateLimitedError(failure, retryAfterMs);
  if (status >= 500 && status <= 599) return new ServerError(failure);
  return new UnexpectedStatusError(failure);
}
