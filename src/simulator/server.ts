import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Droplet } from '../digitalocean/types.js';
import {
  applyPatch,
  resolveSimulatorConfig,
  type DropletSeed,
  type SimulatorConfig,
  type SimulatorConfigInput,
  type SimulatorPatch,
} from './config.js';
import { FaultInjector, type InjectedError } from './faults.js';
import { mulberry32 } from './prng.js';
import { SimRateLimiter } from './rate-limiter.js';
import { loggedBody, loggedHeaders, RequestLog } from './request-log.js';
import { errorReply, route, type Reply } from './routes.js';
import { buildState, type SimulatorState } from './state.js';
import { dropletView } from './views.js';
import { World } from './world.js';

export interface RunningSimulator {
  /** `http://127.0.0.1:<port>`: use as ARCADIA_API_URL. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Everything, as of now: droplets, actions, snapshots (deleted ones too), the request log and counters. */
  state(): SimulatorState;
  addDroplet(seed: DropletSeed): Droplet;
  /** Changes timings, limits, tokens or faults (one-shot hooks too) from now on. */
  configure(patch: SimulatorPatch): void;
}

export const STATE_PATH = '/__simulator/state';

/** The whole body; rejects when the client goes away first (a killed arcadia), so a partial request has no effect. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('the client went away before sending the whole request'));
    });
  });
}

function injectedReply(error: InjectedError): Reply {
  const headers: Record<string, string> =
    error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) };
  if (error.nonJson)
    return {
      status: error.status,
      text: `<html><body><h1>${error.status}</h1>upstream trouble</body></html>`,
      headers,
    };
  const [id, message] =
    error.status === 429
      ? ['too_many_requests', 'API rate limit exceeded.']
      : error.status >= 500
        ? ['server_error', 'Unexpected server-side error']
        : ['error', `injected ${error.status}`];
  return { ...errorReply(error.status, id, message), headers };
}

/** The built-in DigitalOcean stand-in: an HTTP server on 127.0.0.1 whose state follows its clock. */
class Simulator {
  config: SimulatorConfig;
  readonly world: World;
  readonly faults: FaultInjector;
  readonly limiter: SimRateLimiter;
  readonly log: RequestLog;
  private singlePageStyle = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  url = '';

  constructor(input: SimulatorConfigInput) {
    this.config = resolveSimulatorConfig(input);
    this.world = new World(() => this.config, mulberry32(this.config.faults.seed + 1));
    this.faults = new FaultInjector(() => this.config.faults);
    this.limiter = new SimRateLimiter(() => ({
      perMinute: this.config.rateLimitPerMinute,
      perHour: this.config.rateLimitPerHour,
      burstWindowMs: this.config.burstWindowMs,
    }));
    this.log = new RequestLog(() => this.config.requestLogLimit);
    const now = this.now();
    for (const seed of this.config.droplets) this.world.addDroplet(seed, now);
    const fleets =
      this.config.fleet === null ? [] : Array.isArray(this.config.fleet) ? this.config.fleet : [this.config.fleet];
    for (const fleet of fleets) this.world.addFleet(fleet, now);
  }

  now(): number {
    return (this.config.clock ?? Date.now)();
  }

  configure(patch: SimulatorPatch): void {
    this.config = applyPatch(this.config, patch);
    this.faults.syncSeed();
  }

  state(): SimulatorState {
    return buildState(this.world, this.now(), this.log.entries, {
      ...this.log.counters,
      faultsInjected: this.faults.injected,
    });
  }

  /** Which configured token the header carries: a marker for logs and records, never the token. */
  private identify(header: string | undefined): { marker: string; access: 'full' | 'read' | 'none' } {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
    if (token === undefined) return { marker: header === undefined ? 'none' : 'malformed', access: 'none' };
    const full = this.config.tokens.indexOf(token);
    if (full >= 0) return { marker: `tokens[${full}]`, access: 'full' };
    const read = this.config.readOnlyTokens.indexOf(token);
    if (read >= 0) return { marker: `readOnlyTokens[${read}]`, access: 'read' };
    return { marker: 'unknown', access: 'none' };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === STATE_PATH) {
      this.send(
        res,
        req.method === 'GET'
          ? { status: 200, json: this.state() }
          : errorReply(405, 'method_not_allowed', 'the state is read-only'),
        {},
        randomUUID(),
      );
      return;
    }
    const body = await readBody(req);
    const now = this.now();
    const method = req.method ?? 'GET';
    const requestId = randomUUID();
    const who = this.identify(req.headers.authorization);
    const rate = this.limiter.check(who.access === 'none' ? 'unauthenticated' : who.marker, now);
    let fault: string | null = null;
    let reply: Reply;
    if (who.access === 'none') reply = errorReply(401, 'unauthorized', 'Unable to authenticate you.');
    else if (!rate.allowed) {
      reply = errorReply(429, 'too_many_requests', 'API rate limit exceeded.');
      if (rate.retryAfterSeconds !== undefined) reply.headers = { 'retry-after': String(rate.retryAfterSeconds) };
    } else if (who.access === 'read' && method !== 'GET')
      reply = errorReply(403, 'forbidden', 'You do not have permission to perform this action.');
    else {
      const injected = this.faults.beforeHandling(method);
      if (injected) fault = injected.label;
      reply = injected
        ? injectedReply(injected)
        : route({
            world: this.world,
            config: this.config,
            now,
            method,
            path: url.pathname,
            query: url.searchParams,
            body,
            actor: who.marker,
            linkBase: this.config.linkBaseUrl ?? this.url,
            singlePageStyle: this.singlePageStyle++,
            maxPerPage: this.config.maxPerPage,
            endsErrored: () => this.faults.actionErrors(),
            shuffledActionListing: () => this.faults.shuffledActionListing(),
          });
    }
    const entry = {
      at: new Date(now).toISOString(),
      atMs: now,
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: loggedHeaders(req.headers, who.marker),
      token: who.marker,
      body: loggedBody(body),
      requestId,
    };
    const after = reply.tookEffect ? this.faults.afterEffect(reply.tookEffect) : undefined;
    if (after === 'drop') {
      this.log.add({ ...entry, status: null, fault: 'dropReplyAfterEffect' });
      req.socket.destroy();
      return;
    }
    if (after === 'server_error') {
      fault = 'serverErrorAfterEffect';
      reply = errorReply(500, 'server_error', 'Unexpected server-side error');
    }
    const slowMs = this.faults.slowReplyMs();
    if (slowMs > 0) fault = fault ?? `slowReply:${slowMs}ms`;
    this.log.add({ ...entry, status: reply.status, fault });
    if (slowMs > 0) await this.delay(slowMs);
    this.send(res, reply, rate.headers, requestId);
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private send(res: ServerResponse, reply: Reply, rateHeaders: Record<string, string>, requestId: string): void {
    if (res.destroyed) return;
    const headers: Record<string, string> = { ...rateHeaders, 'x-request-id': requestId, ...reply.headers };
    let payload = '';
    if (reply.text !== undefined) {
      headers['content-type'] = 'text/html; charset=utf-8';
      payload = reply.text;
    } else if (reply.json !== undefined) {
      const json =
        reply.status >= 400 && typeof reply.json === 'object' ? { ...reply.json, request_id: requestId } : reply.json;
      headers['content-type'] = 'application/json; charset=utf-8';
      payload = JSON.stringify(json);
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
  }

  stopTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/**
 * Starts the simulator on 127.0.0.1 (port 0 = any free one). Only loopback: it holds no real data, but it accepts a
 * token.
 */
export async function startSimulator(config: SimulatorConfigInput = {}): Promise<RunningSimulator> {
  const simulator = new Simulator(config);
  const server = createServer((req, res) => {
    simulator.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'server_error',
            message: `simulator bug: ${error instanceof Error ? error.message : String(error)}`,
          }),
        );
      }
    });
  });
  // longer than clients' idle sockets live, so a reused keep-alive socket is not closed under a request in flight
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(simulator.config.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  simulator.url = `http://127.0.0.1:${port}`;
  return {
    url: simulator.url,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        simulator.stopTimers();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
    state: () => simulator.state(),
    addDroplet: (seed) =>
      dropletView(simulator.world, simulator.world.addDroplet(seed, simulator.now()), simulator.now()),
    configure: (patch) => simulator.configure(patch),
  };
}
