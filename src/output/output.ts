import { createRequire } from 'node:module';
import { safeText } from './format.js';

export type OutputMode = 'json' | 'tty' | 'plain';

export interface OutputStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
}

export interface Spinner {
  update(text: string): void;
  stop(): void;
}

/** The colours arcadia uses. Plain text unless colour is on: loading chalk costs a short command about 30 ms. */
export interface Colors {
  bold(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const NO_COLORS: Colors = { bold: (t) => t, red: (t) => t, green: (t) => t, yellow: (t) => t, cyan: (t) => t };

async function chalkColors(): Promise<Colors> {
  const { Chalk } = await import('chalk');
  const chalk = new Chalk({ level: 1 });
  return { bold: (t) => chalk.bold(t), red: (t) => chalk.red(t), green: (t) => chalk.green(t), yellow: (t) => chalk.yellow(t), cyan: (t) => chalk.cyan(t) };
}

/**
 * The only place that knows about terminals: TTY detection, colour, spinners, tables and JSON. Results go to
 * stdout; progress and diagnostics to stderr, so `--json` output and cron mail stay clean.
 */
export class Output {
  constructor(
    readonly mode: OutputMode,
    private readonly streams: OutputStreams,
    readonly color: Colors = NO_COLORS,
    private readonly now: () => number = Date.now,
  ) {}

  static async detect(streams: OutputStreams, env: NodeJS.ProcessEnv, json: boolean): Promise<Output> {
    const tty = streams.stdout.isTTY === true && streams.stderr.isTTY === true;
    const mode: OutputMode = json ? 'json' : tty ? 'tty' : 'plain';
    const useColor = mode === 'tty' && !env.NO_COLOR && env.TERM !== 'dumb'; // no-color.org: set and non-empty
    return new Output(mode, streams, useColor ? await chalkColors() : NO_COLORS);
  }

  json(value: unknown): void {
    this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A result line on stdout (never in JSON mode). */
  print(text = ''): void {
    if (this.mode !== 'json') this.streams.stdout.write(`${text}\n`);
  }

  /** A progress line on stderr: timestamped when nobody watches (cron), silent in JSON mode. */
  progress(text: string): void {
    if (this.mode === 'json') return;
    const line = safeText(text);
    this.streams.stderr.write(this.mode === 'plain' ? `${new Date(this.now()).toISOString()} ${line}\n` : `${line}\n`);
  }

  /**
   * The terminal's size for live views, read afresh each time (the window may have been resized); undefined where
   * the terminal does not say.
   */
  terminalSize(): { columns: number | undefined; rows: number | undefined } {
    const known = (n: number | undefined): number | undefined => (typeof n === 'number' && n > 0 ? n : undefined);
    return { columns: known(this.streams.stderr.columns), rows: known(this.streams.stderr.rows) };
  }

  /** Calls `listener` whenever the terminal is resized; returns what stops it. */
  onResize(listener: () => void): () => void {
    this.streams.stderr.on('resize', listener);
    return () => this.streams.stderr.off('resize', listener);
  }

  /** Raw terminal output for live views that redraw themselves (TTY only). */
  redraw(text: string): void {
    if (this.mode === 'tty') this.streams.stderr.write(text);
  }

  warn(text: string): void {
    if (this.mode === 'json') return;
    this.streams.stderr.write(`${this.color.yellow('warning:')} ${safeText(text)}\n`);
  }

  error(code: string, message: string): void {
    if (this.mode === 'json') {
      this.streams.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
      return;
    }
    this.streams.stderr.write(`${this.color.red('error:')} ${safeText(message).split('\n')[0]}\n`);
  }

  table(head: string[], rows: TableCell[][]): string {
    if (this.mode === 'tty') return renderBoxTable(head, rows, this.color);
    return renderPlainTable(head, rows);
  }

  /** Progress as plain lines, one per change. */
  progressLines(): Spinner {
    let last = '';
    return {
      update: (next) => {
        if (next !== last) this.progress(next);
        last = next;
      },
      stop: () => {},
    };
  }

  /** An ora spinner on a TTY; on a non-TTY every update becomes a plain progress line instead. */
  async spinner(text: string): Promise<Spinner> {
    // A terminal that reports no width (a bare pseudo-terminal) would make ora erase thousands of lines a frame.
    if (this.mode !== 'tty' || !((this.streams.stderr.columns ?? 0) > 0)) {
      const lines = this.progressLines();
      lines.update(text);
      return lines;
    }
    const { default: ora } = await import('ora');
    const spinner = ora({ text: safeText(text), stream: this.streams.stderr }).start();
    return { update: (next) => (spinner.text = safeText(next)), stop: () => spinner.stop() };
  }
}

/** A table cell the output module colours itself, after making its text safe (data never carries escapes). */
export interface PaintedCell {
  text: string;
  paint: (text: string) => string;
}
export type TableCell = string | number | null | PaintedCell;

function cell(value: TableCell, paint: boolean): string {
  if (value === null) return '-';
  if (typeof value === 'object') return paint ? value.paint(safeText(value.text)) : safeText(value.text);
  return safeText(String(value));
}

function renderPlainTable(head: string[], rows: TableCell[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => cell(c, false)))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

let Table: typeof import('cli-table3') | undefined;

function renderBoxTable(head: string[], rows: TableCell[][], color: Colors): string {
  // cli-table3 is loaded only for people at a terminal; scripts never pay for it.
  Table ??= loadTable();
  const table = new Table({ head: head.map((h) => color.bold(h)), style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map((c) => cell(c, true)));
  return table.toString();
}

function loadTable(): typeof import('cli-table3') {
  return createRequire(import.meta.url)('cli-table3') as typeof import('cli-table3');
}
