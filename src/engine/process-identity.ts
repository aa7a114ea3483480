import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessIdentity {
  pid: number;
  host: string;
  /** Milliseconds since the epoch; null where the platform cannot tell (then only pid liveness is used). */
  startedAt: number | null;
}

let bootTimeMs: number | null | undefined;

function readBootTimeMs(): number | null {
  if (bootTimeMs !== undefined) return bootTimeMs;
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('btime '));
    bootTimeMs = line ? Number(line.slice(6)) * 1000 : null;
  } catch {
    bootTimeMs = null;
  }
  return bootTimeMs;
}

interface ProcStat {
  state: string;
  startedAt: number | null;
}

/** Reads /proc/<pid>/stat; undefined when the process does not exist (or this is not Linux). */
function readProcStat(pid: number): ProcStat | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: the fields after it start at the last ')'.
  const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  const state = rest[0] ?? '?';
  const startTicks = Number(rest[19]);
  const boot = readBootTimeMs();
  // USER_HZ is 100 on every Linux this runs on; a fixed value is what ps(1) assumes too.
  const startedAt = boot !== null && Number.isFinite(startTicks) ? boot + startTicks * 10 : null;
  return { state, startedAt };
}

const hasProc = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

/** This process as lease records name it; `host` is the host id (ARCADIA_HOST_ID), the hostname by default. */
export function currentProcessIdentity(host: string = hostname()): ProcessIdentity {
  const stat = hasProc ? readProcStat(process.pid) : undefined;
  return { pid: process.pid, host, startedAt: stat?.startedAt ?? null };
}

/**
 * What the process table says of an owner on this host: `gone` when provably so (no such pid, a zombie, or a pid
 * now belonging to a process started at another time), `stopped` when it is frozen (SIGSTOP, a debugger: /proc
 * state T or t), else `alive`. A process we cannot inspect counts as alive; without /proc a stopped one does too.
 */
export type OwnerProcessState = 'gone' | 'stopped' | 'alive';

export function processState(pid: number, startedAt: number | null): OwnerProcessState {
  if (hasProc) {
    const stat = readProcStat(pid);
    if (!stat) return 'gone';
    if (stat.state === 'Z' || stat.state === 'X') return 'gone';
    if (startedAt !== null && stat.startedAt !== null && Math.abs(stat.startedAt - startedAt) > 20) return 'gone';
    return stat.state === 'T' || stat.state === 't' ? 'stopped' : 'alive';
  }
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH' ? 'gone' : 'alive';
  }
}

/** True when the process on this host is provably gone (see processState). */
export function isProcessGone(pid: number, startedAt: number | null): boolean {
  return processState(pid, startedAt) === 'gone';
}
