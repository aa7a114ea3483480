import { processState, type OwnerProcessState } from './process-identity.js';

/** What a lease record says of its holder, wherever it is kept (a lock file, a database row). */
export interface LeaseHolder {
  pid: number;
  host: string;
  processStartedAt: number | null;
  heartbeatAt: number;
}

export interface TakeoverRules {
  staleMs: number;
  /** This host's id: a holder on it is judged by the process table, any other by its heartbeat. */
  hostId: string;
  /** Injected so tests can decide liveness; defaults to inspecting the local process table. */
  processState?: (pid: number, startedAt: number | null) => OwnerProcessState;
}

/**
 * Why a lease may be taken over at `now`, or null while its holder is alive and fresh.
 *
 * On another host only the heartbeat can tell: a lease older than `staleMs` is taken over. On this host the process
 * table is better evidence than the heartbeat. A gone holder is taken over at once. A running one never is, however
 * old its heartbeat: a blocked event loop, a slow disk or a long heartbeat setting make a live holder's beat late,
 * and taking it over would run its step in two processes at once (it is the operator's to kill, and is named in
 * the refusal). A stopped holder (SIGSTOP, a debugger) is taken over once its heartbeat is stale: it cannot act
 * until it is continued, and then the fencing stops it before anything leaves the process.
 */
export function takeoverReason(holder: LeaseHolder, now: number, rules: TakeoverRules): string | null {
  const age = now - holder.heartbeatAt;
  const staleFor = `owner pid ${holder.pid} on ${holder.host} has not beaten for ${age} ms`;
  if (holder.host === rules.hostId) {
    const state = (rules.processState ?? processState)(holder.pid, holder.processStartedAt);
    if (state === 'gone') return `owner pid ${holder.pid} is gone`;
    return state === 'stopped' && age > rules.staleMs ? `${staleFor} (the process is stopped)` : null;
  }
  return age > rules.staleMs ? staleFor : null;
}
