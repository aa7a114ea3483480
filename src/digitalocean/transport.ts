import { ofetch } from 'ofetch';
import {
  MalformedResponseError,
  MissingTokenError,
  NetworkError,
  OutcomeUnknownError,
  RateLimitedError,
  ReplyTooLargeError,
  ServerError,
  type DigitalOceanError,
  type HttpMethod,
  type RequestFailure,
  type TokenPurpose,
} from './errors.js';
import { parseRateLimit, type QuotaSignal, type RequestPacer } from './rate-limit.js';
import { redactDeep, redactorFor, type Redactor } from './redaction.js';
import { readBodyCapped } from './reply-body.js';
import { describeFailure, errorForReply } from './reply-errors.js';
import { requestKind, type RequestGuard } from './request-guard.js';
import { sendGate } from './send-gate.js';
import { headerWaitMs, isRetryable, retryDelayMs, type RetryPolicy } from './retry.js';
import { postedWrite, type PostBody, type RateLimit } from './types.js';

export interface ApiRequest {
  method: HttpMethod;
  /** From the API root, e.g. `/v2/droplets/7`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: PostBody;
  purpose: TokenPurpose;
  /** The caller's fencing: checked before every attempt, and aborting every wait and the fetch. */
  guard?: RequestGuard;
}

export interface TokenSet {
  token: string | undefined;
  /** The variable the token came from, named when DigitalOcean rejects it. */
  variable: string;
  /** What to set when there is none. */
  missingHint: readonly string[];
}

export interface RetryNotice {
  method: HttpMethod;
  path: string;
  /** 1 for the first retry. */
  retry: number;
  delayMs: number;
  error: DigitalOceanError;
}

export interface TransportOptions {
  baseUrl: URL;
  tokens: Record<TokenPurpose, TokenSet>;
  userAgent: string;
  timeoutMs: number;
  /** The largest reply body read; a larger one ends the request with ReplyTooLargeError. */
  maxReplyBytes: number;
  retry: RetryPolicy;
  pacer: RequestPacer;
  now: () => number;
  /** Rejects with the signal's reason when it aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  onRetry?: (notice: RetryNotice) => void;
  onRateLimit: (rateLimit: RateLimit) => void;
}

type Attempt =
  /** `hourly`: the reply's headers say the hourly quota is spent (a 429 then waits for the reset). */
  | { kind: 'reply'; status: number; text: string; headers: Headers; hourly: boolean }
  | { kind: 'lost'; reason: string }
  | { kind: 'too-large'; status: number; limitBytes: number }
  /** The send gate stopped it before its bytes were written: the lease must be checked again. */
  | { kind: 'unsent'; reason: string };

/**
 * Checks and gate closures in a row before an attempt counts as lost: a gate closes after a pause (then the next
 * check refuses) or on a machine too slow to connect within the window (then it is a network problem).
 */
const MAX_UNSENT_ATTEMPTS = 3;

/** Walks an error's causes for the most telling description (undici hides ECONNRESET two levels down). */
function lostReason(error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no reply within ${timeoutMs} ms`;
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${current.message} (${code})` : current.message);
    current = current.cause;
  }
  return `no reply: ${parts.at(-1) ?? String(error)}`;
}

/**
 * Sends one API request: picks the token for its purpose, paces it, retries what is safe to retry, and turns every
 * failure into a typed DigitalOceanError. Errors never carry the underlying fetch error, whose options hold the
 * headers.
 */
export class Transport {
  private readonly secrets: string[];
  /** Applied to every value a reply brings: body, error fields, headers quoted in errors. */
  readonly redact: Redactor;
  /** Attempts that left the process (retries included): the metrics file's arcadia_api_requests_total. */
  private sent = 0;

  get requestsSent(): number {
    return this.sent;
  }

  constructor(private readonly options: TransportOptions) {
    this.secrets = Object.values(options.tokens).flatMap((t) => (t.token ? [t.token] : []));
    this.redact = redactorFor(this.secrets);
  }

  /** DigitalOcean counts per token: a read token of its own has its own quota, the same token shares one. */
  private budgetOf(purpose: TokenPurpose): string {
    const { tokens } = this.options;
    return purpose === 'read' && tokens.read.token !== tokens.provisioning.token ? 'read' : 'provisioning';
  }

  url(path: string, query: ApiRequest['query']): URL {
    const url = new URL(this.options.baseUrl.href);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
    for (const [key, value] of Object.entries(query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  /** The reply body, parsed (undefined for an empty body). */
  async send(request: ApiRequest): Promise<{ status: number; body: unknown }> {
    const tokens = this.options.tokens[request.purpose];
    if (!tokens.token) throw new MissingTokenError(request.purpose, tokens.missingHint);
    const url = this.url(request.path, request.query);
    const path = url.pathname + url.search;
    const { retry: policy } = this.options;
    for (let retry = 0; ; retry += 1) {
      const attempt = await this.checkedAttempt(url, request, tokens.token);
      if (attempt.kind === 'too-large') throw tooLargeError(attempt, request, path);
      if (attempt.kind === 'reply' && attempt.status >= 200 && attempt.status < 300)
        return { status: attempt.status, body: this.parse(attempt, request, path) };
      const error = this.errorOf(attempt, request, path, tokens.variable);
      const waitFromHeaders =
        attempt.kind === 'reply'
          ? headerWaitMs(attempt.status, attempt.headers, this.options.now(), attempt.hourly)
          : undefined;
      const delayMs = retryDelayMs(policy, retry, error, waitFromHeaders);
      // a 429 is about the whole client's pace: the pacer holds every request (this one's retry included), even when
      // this request gives up, since the others sharing the client would be refused too
      if (error instanceof RateLimitedError) this.options.pacer.holdUntil(this.options.now() + delayMs);
      if (!isRetryable(request.method, error) || retry >= policy.retries) throw error;
      this.options.onRetry?.({ method: request.method, path, retry: retry + 1, delayMs, error });
      if (!(error instanceof RateLimitedError)) await this.options.sleep(delayMs, request.guard?.signal);
    }
  }

  /** An attempt, checked again (without a retry's wait) each time the send gate stopped it. */
  private async checkedAttempt(
    url: URL,
    request: ApiRequest,
    token: string,
  ): Promise<Exclude<Attempt, { kind: 'unsent' }>> {
    for (let unsent = 1; ; unsent += 1) {
      const attempt = await this.attempt(url, request, token);
      if (attempt.kind !== 'unsent') return attempt;
      if (unsent >= MAX_UNSENT_ATTEMPTS) return { kind: 'lost', reason: `${attempt.reason} (${unsent} times)` };
    }
  }

  private async attempt(url: URL, request: ApiRequest, token: string): Promise<Attempt> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      'User-Agent': this.options.userAgent,
      Accept: 'application/json',
    };
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    const guard = request.guard;
    if (guard?.holder) {
      headers['X-Arcadia-Saga'] = guard.holder.sagaId;
      headers['X-Arcadia-Epoch'] = String(guard.holder.epoch);
    }
    const budget = this.budgetOf(request.purpose);
    const release = await this.options.pacer.acquire(guard?.signal, budget);
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    try {
      // The last moment before the request leaves the process, after every wait: a superseded executor stops here.
      guard?.signal.throwIfAborted();
      const check = guard?.beforeRequest(requestKind(request.method));
      // A check that answered at once is not awaited: nothing may run between it and the send.
      if (check) {
        await check;
        guard?.signal.throwIfAborted();
      }
    } catch (error) {
      release();
      throw error;
    }
    // Opened after the check: the request is written only while the check is still good (send-gate.ts).
    const gate = guard?.sendWindowMs === undefined ? undefined : sendGate(guard.sendWindowMs());
    try {
      const response = await ofetch.raw<ReadableStream<Uint8Array>, 'stream'>(url.href, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        dispatcher: gate?.dispatcher,
        responseType: 'stream',
        retry: false,
        ignoreResponseError: true,
        redirect: 'manual',
        signal: guard ? AbortSignal.any([timeout, guard.signal]) : timeout,
      });
      const rateLimit = parseRateLimit(response.headers);
      if (rateLimit) this.options.onRateLimit(rateLimit);
      const signal: QuotaSignal =
        response.status !== 429 ? 'reply' : response.headers.has('retry-after') ? 'burst-refusal' : 'refusal';
      const hourly = this.options.pacer.observe(rateLimit, signal, budget) === 'hourly';
      const declaredLength = response.headers.get('content-length');
      const body = await readBodyCapped(response._data, this.options.maxReplyBytes, declaredLength);
      if (body.kind === 'too-large') return { kind: 'too-large', status: response.status, limitBytes: body.limitBytes };
      return { kind: 'reply', status: response.status, text: body.text, headers: response.headers, hourly };
    } catch (error) {
      // Aborted by the caller (a cancel, a lost lease): its reason, not a lost reply that might be retried.
      if (guard?.signal.aborted) throw guard.signal.reason;
      if (gate?.refusal) return { kind: 'unsent', reason: gate.refusal.message };
      return { kind: 'lost', reason: this.redact(lostReason(error, timeout.aborted, this.options.timeoutMs)) };
    } finally {
      release();
      if (!gate?.refusal) this.sent += 1;
    }
  }

  private errorOf(
    attempt: Exclude<Attempt, { kind: 'too-large' | 'unsent' }>,
    request: ApiRequest,
    path: string,
    tokenVariable: string,
  ): DigitalOceanError {
    const where = { method: request.method, path };
    if (attempt.kind === 'lost') {
      const failure: RequestFailure = { ...where, status: null, providerMessage: attempt.reason };
      if (request.body === undefined) return new NetworkError(failure);
      return new OutcomeUnknownError(failure, postedWrite(request.body));
    }
    const failure = describeFailure(attempt, where, this.secrets);
    const error = errorForReply(
      failure,
      tokenVariable,
      headerWaitMs(attempt.status, attempt.headers, this.options.now(), attempt.hourly),
    );
    // after a 5xx a POST may have taken effect; 501 says the server cannot do it at all
    if (request.body !== undefined && error instanceof ServerError && error.transient) {
      return new OutcomeUnknownError(failure, postedWrite(request.body));
    }
    return error;
  }

  private parse(attempt: Extract<Attempt, { kind: 'reply' }>, request: ApiRequest, path: string): unknown {
    if (attempt.text.trim() === '') return undefined;
    try {
      return redactDeep(JSON.parse(attempt.text) as unknown, this.redact);
    } catch {
      const failure: RequestFailure = {
        method: request.method,
        path,
        status: attempt.status,
        providerMessage: 'the success reply is not JSON',
      };
      // the action exists but its id is unreadable: only reconciling can find it
      if (request.body !== undefined) throw new OutcomeUnknownError(failure, postedWrite(request.body));
      throw new MalformedResponseError(failure);
    }
  }
}

/** A body past the cap. After a POST the action may exist all the same: only reconciling can tell. */
function tooLargeError(attempt: Extract<Attempt, { kind: 'too-large' }>, request: ApiRequest, path: string): Error {
  const message = `the reply body is larger than ${attempt.limitBytes} bytes: stopped reading it`;
  const failure: RequestFailure = { method: request.method, path, status: attempt.status, providerMessage: message };
  if (request.body !== undefined) return new OutcomeUnknownError(failure, postedWrite(request.body));
  return new ReplyTooLargeError(failure, attempt.limitBytes);
}
