import { afterEach } from 'vitest';
import {
  createDigitalOceanClient,
  type DigitalOceanClient,
  type DigitalOceanClientOptions,
} from '../../src/digitalocean/client.js';
import {
  DEFAULT_SIMULATOR_TOKEN,
  startSimulator,
  type RunningSimulator,
  type SimulatorConfigInput,
} from '../../src/simulator/index.js';

export const TOKEN = DEFAULT_SIMULATOR_TOKEN;
export const START = Date.parse('2026-03-01T12:00:00Z');

/** A clock only the test moves; `sleep` advances it instead of waiting. */
export interface VirtualClock {
  now: () => number;
  advance: (ms: number) => void;
  sleep: (ms: number) => Promise<void>;
  /** Every sleep asked for, in order. */
  sleeps: number[];
}

export function virtualClock(start = START): VirtualClock {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

const running: RunningSimulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

/** A simulator closed after the test; quick timings unless the test says otherwise. */
export async function simulator(config: SimulatorConfigInput = {}): Promise<RunningSimulator> {
  const sim = await startSimulator({
    actionDurationMs: { snapshot: 1000, shutdown: 300, power_off: 200, power_on: 300 },
    actionJitterMs: 0,
    snapshotListingLagMs: 500,
    deletedListingLingerMs: 500,
    unlockLagMs: 200,
    powerStatusLagMs: 100,
    ...config,
  });
  running.push(sim);
  return sim;
}

/** A client for `sim` that retries without really waiting (unless the test passes its own sleep). */
export function clientFor(sim: RunningSimulator, options: Partial<DigitalOceanClientOptions> = {}): DigitalOceanClient {
  return createDigitalOceanClient({
    apiUrl: sim.url,
    provisioningToken: TOKEN,
    retries: 3,
    retryBaseMs: 10,
    sleep: async () => undefined,
    random: () => 0.5,
    ...options,
  });
}

/** Expects `promise` to reject and returns the error for closer checks. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`, { cause: error });
  }
  throw new Error('expected a rejection, but it resolved');
}

/** A raw request to the simulator, for checking wire shapes the client would hide. */
export async function raw(
  sim: RunningSimulator,
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown } = {},
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The simulator's requests of one method and path prefix. */
export function requestsTo(sim: RunningSimulator, method: string, pathPrefix: string) {
  return sim.state().requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
}
