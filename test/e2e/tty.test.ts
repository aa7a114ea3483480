import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, FAST_SIMULATOR, sandbox, type Sandbox } from './harness.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

/** Runs arcadia under a pseudo-terminal (util-linux `script`), as an operator at a terminal would see it. */
async function atTerminal(args: string, base: NodeJS.ProcessEnv, columns = 120): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...base, TERM: 'xterm' };
  if (base.NO_COLOR !== '1') delete env.NO_COLOR;
  const command = `stty cols ${columns} rows 40; ${process.execPath} ${BIN} ${args}`;
  const { stdout } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
    env,
    encoding: 'utf8',
    maxBuffer: 4 * 1024 * 1024,
  });
  return stdout;
}

describe('at a terminal', () => {
  it('a fleet run shows a live block of per-droplet lines, redrawn in place, then a summary table', async () => {
    box = await sandbox({ ...FAST_SIMULATOR, droplets: [], fleet: { count: 4, tag: 'web', firstId: 10 } });
    const screen = await atTerminal('snapshot --tag web', box.env);
    expect(screen).toMatch(/\u001b\[\d+F\u001b\[0J/); // cursor up + clear: the block is redrawn, not appended
    expect(screen).toMatch(/ {2}droplet 1[0-3]: create_droplet_snapshot/);
    expect(screen).toMatch(/\d\/4 done/);
    expect(screen).toContain('┌');
    expect(screen).toMatch(/4 succeeded, 0 failed, 0 skipped/);
  });

  it('on a 40-column terminal every line of the live block fits the width', async () => {
    box = await sandbox({ ...FAST_SIMULATOR, droplets: [], fleet: { count: 4, tag: 'web', firstId: 10 } });
    const screen = await atTerminal('snapshot --tag web --label a-long-label-for-long-lines', box.env, 40);

    const pieces = screen.split(/\r?\n|\u001b\[\d*[A-Za-z]/);
    const blockLines = pieces.filter((piece) => /^ {2}droplet 1[0-3]: /.test(piece));
    expect(blockLines.length).toBeGreaterThan(0);
    for (const line of blockLines) expect(line.length, line).toBeLessThanOrEqual(40);
    expect(screen).toMatch(/4 succeeded, 0 failed, 0 skipped/);
  });

  it('a single snapshot gets a spinner with the step and elapsed time, in colour unless NO_COLOR', async () => {
    box = await sandbox();
    const screen = await atTerminal('snapshot 1001', box.env);
    expect(screen).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏].* droplet 1001: create_droplet_snapshot .*\d+(\.\d)?s/);
    expect(screen.length).toBeLessThan(200_000);
    expect(screen).toMatch(/snapshot \d+ arcadia-snap-1001-[0-9a-f]{8}/);
    const plain = await atTerminal('saga list', { ...box.env, NO_COLOR: '1' });
    const coloured = await atTerminal('saga list', { ...box.env, NO_COLOR: '' });
    expect(coloured).toMatch(/\u001b\[3\dm/);
    expect(plain).not.toMatch(/\u001b\[3\dm/);
    expect(coloured).not.toContain('?[3'); // escapes must reach the terminal, not be defused as data
  });
});
