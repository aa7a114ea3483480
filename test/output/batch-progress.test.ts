import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Output } from '../../src/output/output.js';
import { batchProgress } from '../../src/output/views/batch-progress.js';

/** A stderr that says how big it is and keeps every write, as a terminal would receive them. */
class FakeTerminal extends Writable {
  readonly isTTY = true;
  readonly writes: string[] = [];
  constructor(
    public columns: number | undefined,
    public rows: number | undefined = 40,
  ) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.writes.push(chunk.toString());
    callback();
  }
}

/**
 * Just enough of a terminal for the view: printing with wrap at the right margin (deferred, as xterm does),
 * newline, cursor up N rows to column 0 (CSI N F) and erase to the end of the screen (CSI 0 J).
 */
class Screen {
  lines: string[] = [''];
  row = 0;
  constructor(private readonly columns: number) {}

  write(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const escape = /^\u001b\[(\d+)([FJ])/.exec(text.slice(i));
      if (escape) {
        if (escape[2] === 'F') this.row = Math.max(0, this.row - Number(escape[1]));
        else this.lines = [...this.lines.slice(0, this.row), ''];
        i += escape[0].length - 1;
      } else if (text[i] === '\n') {
        this.row++;
        this.lines[this.row] ??= '';
      } else {
        if ((this.lines[this.row] ?? '').length === this.columns) {
          this.row++;
          this.lines[this.row] = '';
        }
        this.lines[this.row] = (this.lines[this.row] ?? '') + text[i];
      }
    }
  }

  /** What is on screen, without the empty row the cursor sits on. */
  text(): string[] {
    return this.lines.slice(0, this.row);
  }
}

const BLOCK_END = /\d+\/\d+ done\n$/;

function rowsMovedUp(write: string): number | undefined {
  const up = /^\u001b\[(\d+)F/.exec(write);
  return up ? Number(up[1]) : undefined;
}

/** The lines a block write draws, without its leading erase. */
function blockLines(write: string): string[] {
  return write
    .replace(/^(\u001b\[\d+F)?\u001b\[0J/, '')
    .replace(/\n$/, '')
    .split('\n');
}

function tty(term: FakeTerminal): Output {
  return new Output('tty', { stdout: new FakeTerminal(80), stderr: term });
}

const long = (n: number): string => `create_droplet_snapshot polling action ${n} (${'x'.repeat(40)})`;

describe('the live batch view', () => {
  it('fits every line of the block to a narrow terminal and moves up exactly the rows it drew', () => {
    const term = new FakeTerminal(40);
    const view = batchProgress(tty(term), 3, 60_000);
    for (const n of [1, 2, 3]) view.update(`droplet ${n}`, long(n));
    view.done('droplet 1', 'succeeded arcadia-snap-1-aaaaaaaa');
    view.update('droplet 2', long(22));
    view.done('droplet 2', 'succeeded arcadia-snap-2-bbbbbbbb');
    view.done('droplet 3', 'rolled_back - the snapshot action errored on the provider side');
    view.stop();

    const screen = new Screen(40);
    let lastBlockRows = 0;
    for (const write of term.writes) {
      const up = rowsMovedUp(write);
      if (up !== undefined) expect(up).toBe(lastBlockRows);
      const before = screen.row - (up ?? 0);
      screen.write(write);
      if (BLOCK_END.test(write)) {
        for (const line of blockLines(write)) expect(line.length).toBeLessThanOrEqual(40);
        lastBlockRows = screen.row - before;
      }
    }
    expect(term.writes.filter((w) => BLOCK_END.test(w)).length).toBeGreaterThanOrEqual(4);
    // Nothing of an earlier block is left behind: the finished lines, then the last block, and nothing else.
    expect(screen.text()).toEqual([
      'droplet 1: succeeded arcadia-snap-1-aaaa',
      'aaaa',
      'droplet 2: succeeded arcadia-snap-2-bbbb',
      'bbbb',
      'droplet 3: rolled_back - the snapshot ac',
      'tion errored on the provider side',
      '3/3 done',
    ]);
  });

  it('cuts at 80 columns when the terminal does not say its width', () => {
    const term = new FakeTerminal(undefined);
    const view = batchProgress(tty(term), 2, 60_000);
    view.update('droplet 1', 'y'.repeat(300));
    view.update('droplet 2', 'z'.repeat(300));
    view.done('droplet 2', 'succeeded');
    view.stop();
    const blocks = term.writes.filter((w) => BLOCK_END.test(w));
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) for (const line of blockLines(block)) expect(line.length).toBeLessThanOrEqual(80);
    expect(blockLines(blocks[0] ?? '')[0]).toMatch(/^ {2}droplet 1: y+…$/);
  });

  it('keeps the block within a short terminal, so moving up never runs off the top', () => {
    const term = new FakeTerminal(60, 8);
    const view = batchProgress(tty(term), 20, 60_000);
    for (let n = 1; n <= 20; n++) view.update(`droplet ${n}`, 'polling');
    view.stop();
    const [block] = term.writes.filter((w) => BLOCK_END.test(w));
    expect(blockLines(block ?? '').length).toBeLessThan(8);
    expect(block).toContain('more in flight');
  });

  it('redraws on resize, fitted to the new width, moving up over the old block as the terminal rewrapped it', () => {
    const term = new FakeTerminal(100);
    const view = batchProgress(tty(term), 2, 60_000);
    view.update('droplet 1', long(1));
    view.update('droplet 2', 'waiting');
    view.done('droplet 2', 'succeeded');
    const before = blockLines(term.writes.at(-1) ?? '');
    term.columns = 30;
    term.emit('resize');
    const after = term.writes.at(-1) ?? '';
    // Each old line now takes as many 30-column rows as its length needs.
    const rewrapped = before.reduce((rows, line) => rows + Math.max(1, Math.ceil(line.length / 30)), 0);
    expect(rowsMovedUp(after)).toBe(rewrapped);
    for (const line of blockLines(after)) expect(line.length).toBeLessThanOrEqual(30);
    view.stop();
    term.writes.length = 0;
    term.emit('resize');
    expect(term.writes).toEqual([]); // stopped: no more redraws
  });
});
