import {
  BadRequestError,
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

const MAX_MESSAGE_CHARS = 300;

/** Replaces every secret found in `text`: a server could echo a header back, and messages end up in logs and ledgers. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('[redacted]');
  return out;
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

/** DigitalOcean's error body `{id, message, request_id?}`, or the raw text when the body is not JSON (as godo does). */
export function describeFailure(
  reply: { status: number; text: string; headers: Headers },
  request: { method: RequestFailure['method']; path: string },
  secrets: readonly string[],
): RequestFailure {
  const body = parseErrorBody(reply.text);
  const raw = reply.text.replace(/\s+/g, ' ').trim();
  const message = body?.message ?? (raw === '' ? `HTTP ${reply.status} with an empty body` : raw);
  const clipped = message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
  return {
    method: request.method,
    path: request.path,
    status: reply.status,
    providerId: body?.id === undefined ? undefined : redact(body.id, secrets),
    providerMessage: redact(clipped, secrets),
    requestId: body?.request_id ?? reply.headers.get('x-request-id') ?? undefined,
  };
}

const PENDING_EVENT = /pending event/i;

/** The typed error for a non-2xx reply. `tokenVariable` names where the token used came from, for 401/403. */
export function errorForReply(failure: RequestFailure, tokenVariable: string, retryAfterMs: number | undefined): DigitalOceanError {
  const status = failure.status ?? 0;
  if (status === 400) return new BadRequestError(failure);
  if (status === 401) return new UnauthorizedError(failure, tokenVariable);
  if (status === 403) return new ForbiddenError(failure, tokenVariable);
  if (status === 404) return new NotFoundError(failure);
  if (status === 422) return PENDING_EVENT.test(failure.providerMessage) ? new PendingEventError(failure) : new UnprocessableError(failure);
  if (status === 429) return new RateLimitedError(failure, retryAfterMs);
  if (status >= 500 && status <= 599) return new ServerError(failure);
  return new UnexpectedStatusError(failure);
}
