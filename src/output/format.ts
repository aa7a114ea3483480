export function isoTime(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

export function humanDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - m * 60)}s`;
}

/**
 * Characters a terminal obeys or that reorder what it shows: C0 and C1 controls (ESC starts an escape sequence,
 * U+009B is a one-character CSI), DEL, and the Unicode bidi, line-separator and invisible format controls
 * (U+202E makes `gpj.exe` read `exe.jpg`).
 */
const FORMAT_CONTROLS = '\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff';
const UNSAFE = new RegExp(`[\u0000-\u001f\u007f-\u009f${FORMAT_CONTROLS}]`, 'g');
const UNSAFE_KEEPING_NEWLINES = new RegExp(`[\u0000-\u0009\u000b-\u001f\u007f-\u009f${FORMAT_CONTROLS}]`, 'g');
/** What JSON.stringify leaves raw although a terminal showing the JSON would obey it. */
const UNESCAPED_BY_JSON = new RegExp(`[\u007f-\u009f${FORMAT_CONTROLS}]`, 'g');

/** Keeps a value printable on one terminal line: control characters could rewrite an operator's screen. */
export function safeText(value: string): string {
  return value.replace(UNSAFE, '?');
}

/** Like safeText, for text of several lines. */
export function safeLines(value: string): string {
  return value.replace(UNSAFE_KEEPING_NEWLINES, '?');
}

/** JSON whose every string is inert on a terminal: C1 and bidi controls escaped as \uXXXX, as C0 already are. */
export function inertJson(value: unknown, indent?: number): string {
  const escape = (ch: string): string => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return JSON.stringify(value, null, indent).replace(UNESCAPED_BY_JSON, escape);
}

/**
 * Text already fit for the terminal: arcadia's own colours and tables around values made safe. Output prints any
 * plain string through safeLines, so only this type carries escape sequences to the screen.
 */
export class TerminalText {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

/**
 * The way to build a line that mixes arcadia's own colours with data: `terminal\`saga ${id} ${colour(status)}\``.
 * Interpolated strings and numbers are made safe; only TerminalText values (colours, tables) pass unchanged.
 */
export function terminal(literals: TemplateStringsArray, ...values: unknown[]): TerminalText {
  let text = literals[0] ?? '';
  values.forEach((value, i) => {
    text += value instanceof TerminalText ? value.text : safeText(String(value));
    text += literals[i + 1] ?? '';
  });
  return new TerminalText(text);
}
