import type { IncomingHttpHeaders } from 'node:http';

/** One request as the simulator saw it. The Authorization value is replaced by which configured token matched. */
export interface RequestLogEntry {
  seq: number;
  /** ISO time with milliseconds, from the simulator's clock. */
  at: string;
  atMs: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-case names as received; `authorization` reads e.g. `Bearer [tokens[0]]`. */
  headers: Record<string, string>;
  /** e.g. `tokens[0]`, `readOnlyTokens[1]`, `unknown`, `none`. */
  token: string;
  /** Parsed JSON when it parses, else the raw text; null when empty. */
  body: unknown;
  /** null when the reply was dropped on purpose. */
  status: number | null;
  /** Which fault shaped this reply, if any. */
  fault: string | null;
  requestId: string;
}

export interface SimulatorCounters {
  requests: number;
  byStatus: Record<string, number>;
  rateLimited: number;
  faultsInjected: number;
  droppedReplies: number;
}

/** Header values for the log, with the credential replaced by a marker naming the token. */
export function loggedHeaders(headers: IncomingHttpHeaders, tokenMarker: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = name === 'authorization' ? `Bearer [${tokenMarker}]` : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function loggedBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Keeps the newest `limit` entries; counters count everything. */
export class RequestLog {
  readonly entries: RequestLogEntry[] = [];
  readonly counters: SimulatorCounters = {
    requests: 0,
    byStatus: {},
    rateLimited: 0,
    faultsInjected: 0,
    droppedReplies: 0,
  };

  constructor(private readonly limit: () => number) {}

  add(entry: Omit<RequestLogEntry, 'seq'>): void {
    this.counters.requests += 1;
    const key = entry.status === null ? 'dropped' : String(entry.status);
    this.counters.byStatus[key] = (this.counters.byStatus[key] ?? 0) + 1;
    if (entry.status === 429) this.counters.rateLimited += 1;
    if (entry.status === null) this.counters.droppedReplies += 1;
    this.entries.push({ seq: this.counters.requests, ...entry });
    while (this.entries.length > this.limit()) this.entries.shift();
  }
}
