/**
 * Crash points for the crash tests: `ARCADIA_FAILPOINTS=name[,name...]` makes this process SIGKILL itself the
 * first time it reaches a named point (`name@N`: the Nth time). Inert unless that variable is set; a real SIGKILL,
 * so nothing after the point runs, not even exit handlers.
 */
const armed = new Map<string, number>();
for (const entry of (process.env.ARCADIA_FAILPOINTS ?? '').split(',')) {
  const [name, nth] = entry.trim().split('@');
  if (name) armed.set(name, Math.max(1, Number(nth ?? 1) || 1));
}

export function failpoint(name: string): void {
  const remaining = armed.get(name);
  if (remaining === undefined) return;
  if (remaining > 1) {
    armed.set(name, remaining - 1);
    return;
  }
  process.kill(process.pid, 'SIGKILL');
}
