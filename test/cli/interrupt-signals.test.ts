import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { watchInterruptSignals } from '../../src/cli/interrupt-signals.js';
import { InterruptedError } from '../../src/engine/errors.js';

function watch(graceMs = 60_000) {
  const events = new EventEmitter();
  const exits: number[] = [];
  const notices: string[] = [];
  const watcher = watchInterruptSignals({
    exit: (code) => exits.push(code),
    notify: (line) => void notices.push(line),
    graceMs,
    events: events as unknown as Pick<NodeJS.Process, 'on' | 'off'>,
  });
  return { events, exits, notices, watcher };
}

describe('SIGINT and SIGTERM handling (ARCHITECTURE.md, "Interruptions")', () => {
  it('aborts the stop signal with the signal name on the first signal and does not exit', () => {
    const { events, exits, watcher } = watch();
    events.emit('SIGTERM');
    expect(watcher.signal.aborted).toBe(true);
    expect(watcher.signal.reason).toBeInstanceOf(InterruptedError);
    expect((watcher.signal.reason as InterruptedError).signalName).toBe('SIGTERM');
    expect(exits).toEqual([]);
    watcher.dispose();
  });

  it("exits at once on a second signal, with that signal's code", () => {
    const { events, exits, notices, watcher } = watch();
    events.emit('SIGINT');
    events.emit('SIGINT');
    expect(exits).toEqual([130]);
    expect(notices[0]).toMatch(/^SIGINT again: exiting now; unfinished sagas stay resumable/);
    events.emit('SIGTERM');
    expect(exits).toEqual([130, 143]);
    watcher.dispose();
  });

  it('exits anyway when stopping overruns the grace time', async () => {
    const { events, exits, notices, watcher } = watch(30);
    events.emit('SIGINT');
    await new Promise((r) => setTimeout(r, 80));
    expect(exits).toEqual([130]);
    expect(notices[0]).toMatch(/^SIGINT: still not stopped after 30 ms/);
    watcher.dispose();
  });

  it('lets go of the signals and the grace timer once the command has ended', async () => {
    const { events, exits, watcher } = watch(30);
    events.emit('SIGINT');
    watcher.dispose();
    expect(events.listenerCount('SIGINT') + events.listenerCount('SIGTERM')).toBe(0);
    await new Promise((r) => setTimeout(r, 80));
    expect(exits).toEqual([]);
  });
});
