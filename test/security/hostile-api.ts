import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for DigitalOcean on 127.0.0.1 that returns crafted replies: each request goes to the test's handler,
 * which may answer itself, pass the request on to an upstream (the simulator) and tamper with its reply, or send
 * an endless body. Only loopback: nothing here ever connects anywhere else.
 */

export interface HostileRequest {
  method: string;
  /** Without the query. */
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  body: string;
}

export interface UpstreamReply {
  status: number;
  headers: Record<string, string>;
  /** The parsed body (undefined when empty). */
  json: unknown;
}

export interface CraftedReply {
  status: number;
  headers?: Record<string, string>;
  /** A string is sent as it is; anything else as JSON. */
  body?: unknown;
}

/** `chunk` repeated until the client hangs up (or a 4 GiB safety stop). */
export interface EndlessReply {
  endless: string;
}

export type HostileHandler = (
  request: HostileRequest,
  upstream: () => Promise<UpstreamReply>,
) => Promise<CraftedReply | EndlessReply | undefined> | CraftedReply | EndlessReply | undefined;

export interface HostileApi {
  url: string;
  requests: HostileRequest[];
  /** Body bytes written to clients so far. */
  bytesSent(): number;
  close(): Promise<void>;
}

const SAFETY_STOP_BYTES = 4 * 1024 ** 3;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

/**
 * `upstream.url` is asked with `upstream.token` (arcadia's own token stays with this server), so a test can give
 * arcadia a realistic long token and still drive the simulator.
 */
export async function startHostileApi(
  handler: HostileHandler,
  upstream?: { url: string; token: string },
): Promise<HostileApi> {
  const requests: HostileRequest[] = [];
  let sent = 0;

  async function forward(request: HostileRequest): Promise<UpstreamReply> {
    if (!upstream) throw new Error('this hostile API has no upstream');
    const query = request.query.toString();
    const response = await fetch(`${upstream.url}${request.path}${query ? `?${query}` : ''}`, {
      method: request.method,
      headers: {
        Authorization: `Bearer ${upstream.token}`,
        Accept: 'application/json',
        ...(request.body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: request.body || undefined,
      redirect: 'manual',
    });
    const text = await response.text();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => (headers[key] = value));
    return { status: response.status, headers, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
  }

  function sendEndless(res: ServerResponse, chunk: string): void {
    const bytes = Buffer.from(chunk);
    res.writeHead(200, { 'content-type': 'application/json' });
    let open = true;
    res.on('close', () => (open = false));
    const pump = (): void => {
      while (open && sent < SAFETY_STOP_BYTES) {
        sent += bytes.length;
        if (!res.write(bytes)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const request: HostileRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        authorization: req.headers.authorization,
        body: await readBody(req),
      };
      requests.push(request);
      const crafted = await handler(request, () => forward(request));
      if (crafted !== undefined && 'endless' in crafted) return sendEndless(res, crafted.endless);
      const reply = crafted ?? (await forward(request));
      const status = reply.status;
      const body = 'json' in reply ? reply.json : reply.body;
      const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
      const headers = { ...(reply.headers ?? {}) };
      // the upstream's framing headers do not describe the body sent here
      for (const name of ['content-length', 'transfer-encoding', 'connection', 'keep-alive']) delete headers[name];
      if (text !== '' && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
      res.writeHead(status, headers);
      sent += Buffer.byteLength(text);
      res.end(text);
    })().catch((error: unknown) => {
      res.writeHead(599);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bytesSent: () => sent,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every piece of `token` `length` characters long: none may appear anywhere arcadia writes. */
export function tokenFragments(token: string, length: number): string[] {
  const out = new Set<string>();
  for (let i = 0; i + length <= token.length; i += 1) out.add(token.slice(i, i + length));
  return [...out];
}
