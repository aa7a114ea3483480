import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Dispatcher } from 'undici-types';
import { sendGate, SendWindowClosedError, type GateClocks } from '../../src/digitalocean/send-gate.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A loopback server counting the requests that reached it. */
async function countingServer(): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  server = createServer((request, reply) => {
    hits += 1;
    request.resume();
    request.on('end', () => reply.end('{}'));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v2/account`, hits: () => hits };
}

/** Clocks that only move when the test says so. */
function frozenClocks(): GateClocks & { pass(ms: number): void } {
  let wall = 1_000_000;
  let monotonic = 5;
  return {
    wall: () => wall,
    monotonic: () => monotonic,
    pass(ms) {
      wall += ms;
      monotonic += ms;
    },
  };
}

/** The process's dispatcher, reached as the gate reaches it, behind a step the test runs before each request. */
function behind(before: () => void): Dispatcher {
  const through = sendGate(60_000).dispatcher;
  return {
    dispatch: (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers) => {
      before();
      return through.dispatch(options, handler);
    },
  } as Dispatcher;
}

async function post(url: string, dispatcher: Dispatcher): Promise<number> {
  const reply = await fetch(url, { method: 'POST', body: '{"type":"snapshot"}', dispatcher } as RequestInit);
  await reply.arrayBuffer();
  return reply.status;
}

describe('the send gate', () => {
  it('lets a request through while its window is open', async () => {
    const target = await countingServer();
    const clocks = frozenClocks();
    const gate = sendGate(1_000, { clocks, through: behind(() => clocks.pass(999)) });
    expect(await post(target.url, gate.dispatcher)).toBe(200);
    expect(gate.refusal).toBeUndefined();
    expect(target.hits()).toBe(1);
  });

  it('never writes a request whose window closed before its connection was ready (a pause)', async () => {
    const target = await countingServer();
    const clocks = frozenClocks();
    const gate = sendGate(1_000, { clocks, through: behind(() => clocks.pass(1_001)) });
    const failed = await post(target.url, gate.dispatcher).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(TypeError); // fetch's "fetch failed", caused by the gate
    expect(gate.refusal).toBeInstanceOf(SendWindowClosedError);
    expect(target.hits()).toBe(0);
  });

  it('closes by either clock: a wall clock set back does not reopen it, a suspended machine closes it', async () => {
    const target = await countingServer();
    let monotonic = 0;
    let wall = 1_000_000;
    const setBack: GateClocks = { wall: () => wall, monotonic: () => monotonic };
    const gate = sendGate(1_000, {
      clocks: setBack,
      through: behind(() => {
        wall -= 60_000;
        monotonic += 1_500;
      }),
    });
    await post(target.url, gate.dispatcher).catch(() => undefined);
    expect(gate.refusal).toBeInstanceOf(SendWindowClosedError);
    const suspended: GateClocks = { wall: () => wall, monotonic: () => monotonic };
    const second = sendGate(1_000, { clocks: suspended, through: behind(() => (wall += 1_500)) });
    await post(target.url, second.dispatcher).catch(() => undefined);
    expect(second.refusal).toBeInstanceOf(SendWindowClosedError);
    expect(target.hits()).toBe(0);
  });

  it('lets nothing through with a window of 0 or less', async () => {
    const target = await countingServer();
    const gate = sendGate(0, { clocks: frozenClocks() });
    await post(target.url, gate.dispatcher).catch(() => undefined);
    expect(gate.refusal).toBeInstanceOf(SendWindowClosedError);
    expect(target.hits()).toBe(0);
  });
});
