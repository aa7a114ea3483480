import { safeText } from '../format.js';
import type { Output } from '../output.js';

/** What a batch tells its view about one droplet's saga as it goes. */
export interface BatchProgress {
  update(key: string, text: string): void;
  done(key: string, text: string): void;
  stop(): void;
}

const VISIBLE_LINES = 15;

/**
 * A live block of lines on a terminal, one per droplet in flight, redrawn in place; under cron every change is a
 * plain timestamped line instead; JSON mode says nothing.
 */
export function batchProgress(output: Output, total: number): BatchProgress {
  if (output.mode !== 'tty') {
    return { update: (key, text) => output.progress(`${key}: ${text}`), done: (key, text) => output.progress(`${key}: ${text}`), stop: () => {} };
  }
  const active = new Map<string, string>();
  let finished = 0;
  let drawn = 0;
  const draw = (): void => {
    const lines = [...active].slice(0, VISIBLE_LINES).map(([key, text]) => safeText(`  ${key}: ${text}`).slice(0, 150));
    if (active.size > VISIBLE_LINES) lines.push(`  ... and ${active.size - VISIBLE_LINES} more in flight`);
    lines.push(`${finished}/${total} done`);
    // Move up over the previous block, clear it, write the new one.
    output.redraw(`${drawn > 0 ? `\u001b[${drawn}F` : ''}\u001b[0J${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const timer = setInterval(draw, 200);
  timer.unref();
  return {
    update: (key, text) => {
      active.set(key, text);
    },
    done: (key, text) => {
      active.delete(key);
      finished++;
      output.redraw(`${drawn > 0 ? `\u001b[${drawn}F\u001b[0J` : ''}${safeText(`${key}: ${text}`)}\n`);
      drawn = 0;
      draw();
    },
    stop: () => {
      clearInterval(timer);
      draw();
    },
  };
}
