/**
 * Crash points for the crash tests: `ARCADIA_FAILPOINTS=name[,name...]` makes this process SIGKILL itself the
 * first time it reaches a named point (`name@N`: the Nth time). Inert unless that variable is set; a real SIGKILL,
 * so nothing after the point runs, not even exit handlers. `name:stop` (or `name@N:stop`) SIGSTOPs it there
 * instead, as a paused VM would: the pause tests continue it with SIGCONT.
 */
type FailpointAction = 'kill' | 'stop';

const armed = new Map<string, { remaining: number; action: FailpointAction }>();
for (const entry of (process.env.ARCADIA_FAILPOINTS ?? '').split(',')) {
  const [point, action] = entry.trim().split(':');
  const [name, nth] = (point ?? '').split('@');
  if (name)
    armed.set(name, { remaining: Math.max(1, Number(nth ?? 1) || 1), action: action === 'stop' ? 'stop' : 'kill' });
}

export function failpoint(name: string): void {
  const point = armed.get(name);
  if (point === undefined) return;
  if (point.remaining > 1) {
    point.remaining -= 1;
    return;
  }
  if (point.action === 'stop') {
    armed.delete(name); // once: continued, the process goes on from here
    process.kill(process.pid, 'SIGSTOP');
    return;
  }
  process.kill(process.pid, 'SIGKILL');
}
