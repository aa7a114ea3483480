import { displayWidth, fitToWidth, rowsTaken } from '../display-width.js';
import { safeText } from '../format.js';
import type { Output } from '../output.js';

/** What a batch tells its view about one droplet's saga as it goes. */
export interface BatchProgress {
  update(key: string, text: string): void;
  done(key: string, text: string): void;
  stop(): void;
}

const VISIBLE_LINES = 15;
/** Assumed when the terminal does not say how wide it is. */
const FALLBACK_COLUMNS = 80;
const REDRAW_INTERVAL_MS = 200;

/**
 * A live block of lines on a terminal, one per droplet in flight, redrawn in place; under cron every change is a
 * plain timestamped line instead; JSON mode says nothing.
 */
export function batchProgress(output: Output, total: number, redrawIntervalMs = REDRAW_INTERVAL_MS): BatchProgress {
  if (output.mode !== 'tty') {
    const line = (key: string, text: string): void => output.progress(`${key}: ${text}`);
    return { update: line, done: line, stop: () => {} };
  }
  const active = new Map<string, string>();
  let finished = 0;
  // The widths of the lines of the block on screen: how far up the next redraw must move.
  let drawnWidths: number[] = [];

  const columns = (): number => output.terminalSize().columns ?? FALLBACK_COLUMNS;
  /**
   * Rows the drawn block takes now. Each line was cut to fit when drawn; a terminal narrowed since then has rewrapped
   * (reflowed) a long line onto several rows, so the count is taken at today's width.
   */
  const drawnRows = (): number => drawnWidths.reduce((rows, width) => rows + rowsTaken(width, columns()), 0);
  const eraseBlock = (): string => (drawnWidths.length > 0 ? `\u001b[${drawnRows()}F\u001b[0J` : '');

  const draw = (): void => {
    // One column spare: a line that fills the last column makes some terminals wrap at once, adding a row.
    const width = Math.max(1, columns() - 1);
    const rows = output.terminalSize().rows;
    // Cursor-up cannot reach above the top of the screen: the block must fit on it, with the count line.
    const visible = rows === undefined ? VISIBLE_LINES : Math.max(1, Math.min(VISIBLE_LINES, rows - 3));
    const lines = [...active].slice(0, visible).map(([key, text]) => `  ${key}: ${text}`);
    if (active.size > visible) lines.push(`  ... and ${active.size - visible} more in flight`);
    lines.push(`${finished}/${total} done`);
    const fitted = lines.map((line) => fitToWidth(safeText(line), width));
    const erase = eraseBlock();
    output.redraw(`${erase === '' ? '\u001b[0J' : erase}${fitted.join('\n')}\n`);
    drawnWidths = fitted.map(displayWidth);
  };

  const timer = setInterval(draw, redrawIntervalMs);
  timer.unref();
  const stopResizing = output.onResize(draw);
  return {
    update: (key, text) => {
      active.set(key, text);
    },
    done: (key, text) => {
      active.delete(key);
      finished++;
      // A finished droplet's line stays above the block whole: it is the record, so it may wrap.
      output.redraw(`${eraseBlock()}${safeText(`${key}: ${text}`)}\n`);
      drawnWidths = [];
      draw();
    },
    stop: () => {
      clearInterval(timer);
      stopResizing();
      draw();
    },
  };
}
