import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPing {
  path: string;
  rid: string | null;
  headers: IncomingHttpHeaders;
}

export interface PingServer {
  url: string;
  received: ReceivedPing[];
  close(): Promise<void>;
}

/** A healthchecks-like receiver on 127.0.0.1 answering every ping with `status`. */
export async function startPingServer(status = 200): Promise<PingServer> {
  const received: ReceivedPing[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    received.push({ path: url.pathname, rid: url.searchParams.get('rid'), headers: req.headers });
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'OK' : 'error');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ping/3f2a-uuid`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port nobody listens on: taken, then released. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/ping/closed`;
}
