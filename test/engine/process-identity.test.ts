import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { currentProcessIdentity, isProcessGone, processState } from '../../src/engine/process-identity.js';

describe('process identity', () => {
  const linux = process.platform === 'linux';

  it('describes this process: pid, host and (on Linux) its start time', () => {
    const me = currentProcessIdentity();
    expect(me.pid).toBe(process.pid);
    expect(me.host).toBe(hostname());
    if (linux) {
      const expected = Date.now() - process.uptime() * 1000;
      expect(Math.abs(me.startedAt! - expected)).toBeLessThan(2_000);
    }
  });

  it('calls a live process alive, and the same pid with another start time (a recycled pid) gone', () => {
    const me = currentProcessIdentity();
    expect(isProcessGone(process.pid, me.startedAt)).toBe(false);
    expect(isProcessGone(process.pid, null)).toBe(false);
    if (linux) expect(isProcessGone(process.pid, me.startedAt! - 60_000)).toBe(true);
  });

  it('calls a process that exited gone', async () => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    const pid = child.pid!;
    await new Promise((resolve) => child.on('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 20)); // let it be reaped
    expect(isProcessGone(pid, null)).toBe(true);
  });

  it.runIf(linux)('tells a SIGSTOPped process (stopped) from a running one (alive)', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const pid = child.pid!;
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const waitFor = async (state: string): Promise<string> => {
        for (let i = 0; i < 200 && processState(pid, null) !== state; i++) await new Promise((r) => setTimeout(r, 10));
        return processState(pid, null);
      };
      expect(await waitFor('alive')).toBe('alive');
      child.kill('SIGSTOP');
      expect(await waitFor('stopped')).toBe('stopped');
      child.kill('SIGCONT');
      expect(await waitFor('alive')).toBe('alive');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });
});
