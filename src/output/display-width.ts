/**
 * How many terminal columns text takes: wide (East Asian, emoji) code points take two, combining marks and
 * zero-width characters none. Text is expected to have been through safeText (no control characters).
 */
const ZERO_WIDTH: [number, number][] = [
  [0x0300, 0x036f],
  [0x1ab0, 0x1aff],
  [0x1dc0, 0x1dff],
  [0x200b, 0x200f],
  [0x20d0, 0x20ff],
  [0xfe00, 0xfe0f],
  [0xfe20, 0xfe2f],
];

const WIDE: [number, number][] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f900, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x3fffd],
];

const inRanges = (code: number, ranges: [number, number][]): boolean =>
  ranges.some(([low, high]) => code >= low && code <= high);

function codePointWidth(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  if (inRanges(code, ZERO_WIDTH)) return 0;
  return inRanges(code, WIDE) ? 2 : 1;
}

export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += codePointWidth(char);
  return width;
}

/** Cuts text to at most `columns` columns, marking the cut with an ellipsis. */
export function fitToWidth(text: string, columns: number): string {
  if (displayWidth(text) <= columns) return text;
  const room = Math.max(0, columns - 1);
  let width = 0;
  let kept = '';
  for (const char of text) {
    const next = codePointWidth(char);
    if (width + next > room) break;
    kept += char;
    width += next;
  }
  return columns > 0 ? `${kept}…` : '';
}

/** The rows a line of `width` columns takes on a terminal `columns` wide (an empty line still takes one). */
export function rowsTaken(width: number, columns: number): number {
  return Math.max(1, Math.ceil(width / Math.max(1, columns)));
}
