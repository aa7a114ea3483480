import { describe, expect, it } from 'vitest';
import { displayWidth, fitToWidth, rowsTaken } from '../../src/output/display-width.js';

describe('terminal widths', () => {
  it('counts wide characters as two columns and combining marks as none', () => {
    expect(displayWidth('web-1')).toBe(5);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('🚀 ok')).toBe(5);
    expect(displayWidth('e\u0301')).toBe(1);
  });

  it('cuts to the width with an ellipsis, never splitting a wide character over the edge', () => {
    expect(fitToWidth('short', 10)).toBe('short');
    expect(fitToWidth('abcdefghijkl', 10)).toBe('abcdefghi…');
    expect(displayWidth(fitToWidth('日本語のテキスト', 7))).toBeLessThanOrEqual(7);
    expect(fitToWidth('日本語のテキスト', 7)).toBe('日本語…');
  });

  it('counts the rows a line wraps onto', () => {
    expect(rowsTaken(0, 80)).toBe(1);
    expect(rowsTaken(80, 80)).toBe(1);
    expect(rowsTaken(81, 80)).toBe(2);
  });
});
