import { validateApiUrl } from './api-url.js';
import {
  MalformedResponseError,
  OutcomeUnknownError,
  OversizedPageError,
  TooManyPagesError,
  type RequestFailure,
} from './errors.js';
import { CLIENT_DEFAULTS, type DigitalOceanClientOptions } from './options.js';
import { collectPages, nextPageNumber, PER_PAGE, type PageProblem } from './pagination.js';
import { RequestPacer } from './rate-limit.js';
import { DEFAULT_RATE_RESERVE_PERCENT, type QuotaState } from './rate-reserve.js';
import {
  checkAccount,
  checkAction,
  checkDroplet,
  checkDropletCreated,
  checkDropletSnapshot,
  checkEach,
  checkLinks,
  checkSnapshot,
  checkVolume,
  isRecord,
  type ShapeCheck,
} from './reply-validation.js';
import { abortableSleep, type RequestGuard } from './request-guard.js';
import { Transport, type ApiRequest } from './transport.js';
import {
  postedWrite,
  type Account,
  type Action,
  type CreatedDroplet,
  type Droplet,
  type DropletCreateRequest,
  type DropletActionRequest,
  type DropletSnapshot,
  type ImageActionRequest,
  type Links,
  type RateLimit,
  type Snapshot,
  type Volume,
} from './types.js';

export { clientOptionsFromEnv, type DigitalOceanClientOptions } from './options.js';
export type { RequestGuard, RequestKind } from './request-guard.js';

/**
 * Typed DigitalOcean API v2 calls arcadia needs. Lists return every page. Reads use the read token, writes the
 * provisioning token.
 */
export interface DigitalOceanClient {
  /** The rate-limit headers of the latest reply, if any came. */
  readonly rateLimit: RateLimit | undefined;
  /** The hourly quota as the pacer keeps it (lowest count within a reset), its reserve and requests in flight. */
  quota(): QuotaState | undefined;
  /** The client's own burst budget and the hourly window's length, for estimating a batch against the quota. */
  readonly pace: { requestsPerWindow: number; windowMs: number; quotaWindowMs: number };
  /** Requests sent so far by this client and every guarded copy of it, retries included. */
  readonly requestsSent: number;
  /** POST /v2/droplets/{id}/actions (201). Never re-posted after a lost reply: that surfaces as OutcomeUnknownError. */
  postDropletAction(dropletId: number, body: DropletActionRequest): Promise<Action>;
  getAction(actionId: number): Promise<Action>;
  getDropletAction(dropletId: number, actionId: number): Promise<Action>;
  listDropletActions(dropletId: number): Promise<Action[]>;
  /**
   * One page (200 actions) of GET /v2/actions, every action of the account: the list only grows, so a watcher reads
   * the first pages, never all. `next` is the page `links.pages.next` names, absent on the last page.
   */
  listActionsPage(page: number): Promise<{ actions: Action[]; next: number | undefined }>;
  /** Snapshots and backups of one droplet, integer ids. */
  listDropletSnapshots(dropletId: number): Promise<DropletSnapshot[]>;
  /** Snapshots of the account, string ids; never backups. */
  listSnapshots(filter?: { resourceType?: 'droplet' | 'volume' }): Promise<Snapshot[]>;
  getSnapshot(id: string): Promise<Snapshot>;
  /** DELETE /v2/snapshots/{id} (204). A 404 surfaces as NotFoundError: callers decide it means "already gone". */
  deleteSnapshot(id: string): Promise<void>;
  /** GET /v2/volumes: DigitalOcean has no droplet filter, so callers match `droplet_ids`. */
  listVolumes(filter?: { name?: string; region?: string }): Promise<Volume[]>;
  /** A volume's snapshots (UUID ids). */
  listVolumeSnapshots(volumeId: string): Promise<Snapshot[]>;
  /**
   * POST /v2/volumes/{id}/snapshots (201, synchronous: the reply is the finished snapshot). A name the volume has
   * already surfaces as ConflictError; a lost reply as OutcomeUnknownError (the snapshot may exist).
   */
  createVolumeSnapshot(volumeId: string, name: string): Promise<Snapshot>;
  /** DELETE /v2/volumes/snapshots/{id} (204). A 404 surfaces as NotFoundError. */
  deleteVolumeSnapshot(id: string): Promise<void>;
  /** POST /v2/images/{id}/actions (201, in the `action` wrapper). Never re-posted after a lost reply. */
  postImageAction(imageId: number, body: ImageActionRequest): Promise<Action>;
  getImageAction(imageId: number, actionId: number): Promise<Action>;
  /** An image's actions, newest first as DigitalOcean lists them (callers must not rely on the order). */
  listImageActions(imageId: number): Promise<Action[]>;
  getDroplet(id: number): Promise<Droplet>;
  listDroplets(filter?: { tagName?: string }): Promise<Droplet[]>;
  /**
   * POST /v2/droplets (202): one droplet, `new`, with the id of its create action. There is no idempotency key
   * (ARCHITECTURE.md): a lost reply surfaces as OutcomeUnknownError and is never re-posted; look the droplet up by its
   * tag instead.
   */
  createDroplet(body: DropletCreateRequest): Promise<CreatedDroplet>;
  /** DELETE /v2/droplets/{id} (204). A 404 surfaces as NotFoundError: callers decide it means "already gone". */
  deleteDroplet(id: number): Promise<void>;
  /** GET /v2/account: a cheap way to check a token. */
  getAccount(): Promise<Account>;
  /**
   * The same client (same pacer, tokens and rate-limit state) with every request fenced by `guard`: checked
   * immediately before each attempt leaves the process, and every wait and fetch aborted by its signal.
   */
  withGuard(guard: RequestGuard): DigitalOceanClient;
}

const PROVISIONING_HINT = ['DIGITALOCEAN_ACCESS_TOKEN', 'ARCADIA_PROVISIONING_TOKEN'] as const;
const READ_HINT = ['DIGITALOCEAN_ACCESS_TOKEN', 'ARCADIA_READ_TOKEN', 'ARCADIA_PROVISIONING_TOKEN'] as const;

/** The droplet and its create action's id from a reply checkDropletCreated accepted. */
function createdDropletOf(reply: Record<string, unknown>): CreatedDroplet {
  const links = reply.links as { actions?: { id: number; rel: string }[] };
  const actions = links.actions ?? [];
  const create = actions.find((link) => link.rel === 'create') ?? actions[0];
  return { droplet: reply.droplet as Droplet, actionId: create?.id };
}

export function createDigitalOceanClient(options: DigitalOceanClientOptions): DigitalOceanClient {
  const baseUrl = validateApiUrl(options.apiUrl ?? CLIENT_DEFAULTS.apiUrl);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const requestsPerMinute = options.requestsPerMinute ?? CLIENT_DEFAULTS.requestsPerMinute;
  const maxRateLimitWaitMs = options.maxRateLimitWaitMs ?? CLIENT_DEFAULTS.maxRateLimitWaitMs;
  const provisioningVariable = options.tokenVariables?.provisioning ?? 'ARCADIA_PROVISIONING_TOKEN';
  let rateLimit: RateLimit | undefined;
  const pace = {
    requestsPerWindow: requestsPerMinute,
    windowMs: options.rateWindowMs ?? CLIENT_DEFAULTS.rateWindowMs,
    quotaWindowMs: options.quotaWindowMs ?? CLIENT_DEFAULTS.quotaWindowMs,
  };
  const pacer = new RequestPacer({
    requestsPerMinute,
    windowMs: options.rateWindowMs ?? CLIENT_DEFAULTS.rateWindowMs,
    reserveFraction: options.rateReserve ?? DEFAULT_RATE_RESERVE_PERCENT / 100,
    maxWaitMs: maxRateLimitWaitMs,
    // a probe a minute at most in a real hour, scaled with it in tests
    maxProbeGapMs: pace.quotaWindowMs / 60,
    now,
    sleep,
    onThrottle: options.onThrottle,
  });

  const transport = new Transport({
    baseUrl,
    tokens: {
      provisioning: {
        token: options.provisioningToken,
        variable: provisioningVariable,
        missingHint: PROVISIONING_HINT,
      },
      read: {
        token: options.readToken ?? options.provisioningToken,
        variable:
          options.readToken === undefined
            ? provisioningVariable
            : (options.tokenVariables?.read ?? 'ARCADIA_READ_TOKEN'),
        missingHint: READ_HINT,
      },
    },
    userAgent: options.userAgent ?? CLIENT_DEFAULTS.userAgent,
    timeoutMs: options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs,
    maxReplyBytes: options.maxReplyBytes ?? CLIENT_DEFAULTS.maxReplyBytes,
    retry: {
      retries: options.retries ?? CLIENT_DEFAULTS.retries,
      baseMs: options.retryBaseMs ?? CLIENT_DEFAULTS.retryBaseMs,
      maxMs: options.retryMaxMs ?? CLIENT_DEFAULTS.retryMaxMs,
      maxRateLimitWaitMs,
      random: options.random ?? Math.random,
    },
    pacer,
    now,
    sleep,
    onRetry: options.onRetry,
    onRateLimit: (latest) => {
      rateLimit = latest;
    },
  });

  const maxPages = options.maxPages ?? CLIENT_DEFAULTS.maxPages;

  function failureOf(request: ApiRequest, status: number, message: string): RequestFailure {
    const url = transport.url(request.path, request.query);
    // the message quotes values from the reply: redacted again, whatever built it
    const path = url.pathname + url.search;
    return { method: request.method, path, status, providerMessage: transport.redact(message) };
  }

  function malformed(request: ApiRequest, status: number, message: string): Error {
    const failure = failureOf(request, status, message);
    // a POST that succeeded with an unreadable body did create the action: only reconciling can find it
    if (request.body === undefined) return new MalformedResponseError(failure);
    return new OutcomeUnknownError(failure, postedWrite(request.body));
  }

  function pageError(request: ApiRequest, message: string, problem: PageProblem): Error {
    if (problem.kind === 'oversized-page') {
      const page = Number(request.query?.page);
      return new OversizedPageError(failureOf(request, 200, message), page, problem.items, problem.perPage);
    }
    if (problem.kind === 'too-many-pages') {
      return new TooManyPagesError(failureOf(request, 200, message), problem.maxPages);
    }
    return malformed(request, 200, message);
  }

  /**
   * The object or array under the body's root key, e.g. `action` or `droplets`, each checked by `check` before
   * anything reads it, and the listing's links.
   */
  async function rooted<T>(
    request: ApiRequest,
    key: string,
    shape: 'object' | 'array',
    check: ShapeCheck,
  ): Promise<{ value: T; links: Links | undefined }> {
    const { status, body } = await transport.send(request);
    const value = isRecord(body) ? body[key] : undefined;
    const fits = shape === 'array' ? Array.isArray(value) : isRecord(value);
    if (!fits || !isRecord(body)) throw malformed(request, status, `the reply has no ${key} ${shape}`);
    const problem = Array.isArray(value) ? checkEach(value, check, key) : check(value, key);
    if (problem !== undefined) throw malformed(request, status, problem);
    const linksProblem = checkLinks(body.links, 'links');
    if (linksProblem !== undefined) throw malformed(request, status, linksProblem);
    return { value: value as T, links: body.links as Links | undefined };
  }

  function build(guard: RequestGuard | undefined): DigitalOceanClient {
    const read = (path: string, query?: ApiRequest['query']): ApiRequest => ({
      method: 'GET',
      path,
      query,
      purpose: 'read',
      guard,
    });

    async function one<T>(path: string, key: string, check: ShapeCheck): Promise<T> {
      return (await rooted<T>(read(path), key, 'object', check)).value;
    }

    function all<T>(path: string, key: string, check: ShapeCheck, filters: Record<string, string | undefined> = {}) {
      const pageRequest = (page: number): ApiRequest => read(path, { ...filters, page, per_page: PER_PAGE });
      return collectPages(
        async (page) => {
          const { value, links } = await rooted<T[]>(pageRequest(page), key, 'array', check);
          return { items: value, links };
        },
        (message, page, problem) => pageError(pageRequest(page), message, problem),
        { perPage: PER_PAGE, maxPages },
      );
    }

    return {
      get rateLimit() {
        return rateLimit;
      },
      quota: () => pacer.quota(),
      pace,
      get requestsSent() {
        return transport.requestsSent;
      },
      async postDropletAction(dropletId, body) {
        const path = `/v2/droplets/${dropletId}/actions`;
        const request: ApiRequest = { method: 'POST', path, body, purpose: 'provisioning', guard };
        return (await rooted<Action>(request, 'action', 'object', checkAction)).value;
      },
      getAction: (actionId) => one<Action>(`/v2/actions/${actionId}`, 'action', checkAction),
      getDropletAction: (dropletId, actionId) =>
        one<Action>(`/v2/droplets/${dropletId}/actions/${actionId}`, 'action', checkAction),
      listDropletActions: (dropletId) => all<Action>(`/v2/droplets/${dropletId}/actions`, 'actions', checkAction),
      async listActionsPage(page) {
        const request = read('/v2/actions', { page, per_page: PER_PAGE });
        const { value, links } = await rooted<Action[]>(request, 'actions', 'array', checkAction);
        if (value.length > PER_PAGE) {
          const problem: PageProblem = { kind: 'oversized-page', items: value.length, perPage: PER_PAGE };
          throw pageError(request, `page ${page} has ${value.length} actions, more than ${PER_PAGE}`, problem);
        }
        const next = nextPageNumber(links);
        if (typeof next === 'object') throw pageError(request, next.malformed, { kind: 'malformed-next' });
        return { actions: value, next: next !== undefined && next > page ? next : undefined };
      },
      listDropletSnapshots: (dropletId) =>
        all<DropletSnapshot>(`/v2/droplets/${dropletId}/snapshots`, 'snapshots', checkDropletSnapshot),
      listSnapshots: (filter) =>
        all<Snapshot>('/v2/snapshots', 'snapshots', checkSnapshot, { resource_type: filter?.resourceType }),
      getSnapshot: (id) => one<Snapshot>(`/v2/snapshots/${encodeURIComponent(id)}`, 'snapshot', checkSnapshot),
      async deleteSnapshot(id) {
        const path = `/v2/snapshots/${encodeURIComponent(id)}`;
        await transport.send({ method: 'DELETE', path, purpose: 'provisioning', guard });
      },
      listVolumes: (filter) =>
        all<Volume>('/v2/volumes', 'volumes', checkVolume, { name: filter?.name, region: filter?.region }),
      listVolumeSnapshots: (volumeId) =>
        all<Snapshot>(`/v2/volumes/${encodeURIComponent(volumeId)}/snapshots`, 'snapshots', checkSnapshot),
      async createVolumeSnapshot(volumeId, name) {
        const path = `/v2/volumes/${encodeURIComponent(volumeId)}/snapshots`;
        const request: ApiRequest = { method: 'POST', path, body: { name }, purpose: 'provisioning', guard };
        return (await rooted<Snapshot>(request, 'snapshot', 'object', checkSnapshot)).value;
      },
      async deleteVolumeSnapshot(id) {
        const path = `/v2/volumes/snapshots/${encodeURIComponent(id)}`;
        await transport.send({ method: 'DELETE', path, purpose: 'provisioning', guard });
      },
      async postImageAction(imageId, body) {
        const request: ApiRequest = {
          method: 'POST',
          path: `/v2/images/${imageId}/actions`,
          body,
          purpose: 'provisioning',
          guard,
        };
        return (await rooted<Action>(request, 'action', 'object', checkAction)).value;
      },
      getImageAction: (imageId, actionId) =>
        one<Action>(`/v2/images/${imageId}/actions/${actionId}`, 'action', checkAction),
      listImageActions: (imageId) => all<Action>(`/v2/images/${imageId}/actions`, 'actions', checkAction),
      getDroplet: (id) => one<Droplet>(`/v2/droplets/${id}`, 'droplet', checkDroplet),
      listDroplets: (filter) => all<Droplet>('/v2/droplets', 'droplets', checkDroplet, { tag_name: filter?.tagName }),
      getAccount: () => one<Account>('/v2/account', 'account', checkAccount),
      async createDroplet(body) {
        const request: ApiRequest = { method: 'POST', path: '/v2/droplets', body, purpose: 'provisioning', guard };
        const { status, body: reply } = await transport.send(request);
        const problem = checkDropletCreated(reply, 'reply');
        if (problem !== undefined || !isRecord(reply)) throw malformed(request, status, problem ?? 'no reply body');
        return createdDropletOf(reply);
      },
      async deleteDroplet(id) {
        await transport.send({ method: 'DELETE', path: `/v2/droplets/${id}`, purpose: 'provisioning', guard });
      },
      withGuard: (next) => build(next),
    };
  }

  return build(undefined);
}
