import { performance } from 'node:perf_hooks';
import { createDigitalOceanClient } from '../../src/digitalocean/client.js';
import { DEFAULT_SIMULATOR_TOKEN, startSimulator } from '../../src/simulator/index.js';
import type { BenchRow } from './types.js';

const REQUESTS = 500;
const ROUNDS = 5;
const WARM_UP = 50;
const DROPLET_ID = 3164444;

/**
 * What the client (pacing, retry bookkeeping, error mapping, ofetch) costs per request over a bare fetch of the same
 * URL with the same headers, both against the simulator on loopback in the same run. Rounds alternate between the
 * two so drift (JIT, GC, CPU frequency) hits both alike.
 */
export async function benchClientOverhead(): Promise<BenchRow[]> {
  const sim = await startSimulator({ rateLimitPerMinute: null, rateLimitPerHour: null, requestLogLimit: 0 });
  try {
    const client = createDigitalOceanClient({
      apiUrl: sim.url,
      readToken: DEFAULT_SIMULATOR_TOKEN,
      retries: 0,
      requestsPerMinute: Number.MAX_SAFE_INTEGER,
    });
    const url = `${sim.url}/v2/droplets/${DROPLET_ID}`;
    const headers = {
      Authorization: `Bearer ${DEFAULT_SIMULATOR_TOKEN}`,
      'User-Agent': 'arcadia/bench',
      Accept: 'application/json',
    };
    const viaClient = async (): Promise<void> => {
      await client.getDroplet(DROPLET_ID);
    };
    const viaFetch = async (): Promise<void> => {
      const response = await fetch(url, { headers });
      if (!response.ok) throw new Error(`bare fetch got ${response.status}`);
      await response.json();
    };
    const time = async (call: () => Promise<void>, count: number): Promise<number> => {
      const start = performance.now();
      for (let i = 0; i < count; i += 1) await call();
      return performance.now() - start;
    };

    await time(viaClient, WARM_UP);
    await time(viaFetch, WARM_UP);
    let clientMs = 0;
    let fetchMs = 0;
    const perRound = REQUESTS / ROUNDS;
    for (let round = 0; round < ROUNDS; round += 1) {
      clientMs += await time(viaClient, perRound);
      fetchMs += await time(viaFetch, perRound);
    }
    const clientMean = clientMs / REQUESTS;
    const fetchMean = fetchMs / REQUESTS;
    return [
      {
        name: 'DigitalOcean client getDroplet',
        value: clientMean,
        unit: 'ms/request',
        baseline: fetchMean,
        ratio: clientMean / fetchMean,
        note:
          `${REQUESTS} sequential requests to the simulator on loopback; ` +
          `baseline: bare fetch, same URL and headers`,
      },
      {
        name: 'DigitalOcean client overhead',
        value: (clientMean - fetchMean) * 1000,
        unit: 'µs/request',
        note: 'client mean minus bare-fetch mean',
      },
    ];
  } finally {
    await sim.close();
  }
}
