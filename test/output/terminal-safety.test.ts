import { describe, expect, it } from 'vitest';
import { inertJson, terminal } from '../../src/output/format.js';
import { Output, type OutputStreams } from '../../src/output/output.js';
import { printSagaOutcome } from '../../src/output/views/saga-view.js';
import { printSnapshotResults } from '../../src/output/views/snapshot-view.js';
import type { SagaRecord } from '../../src/engine/types.js';

/** A screen clear, an OSC title change, a one-byte C1 CSI, a bidi override, an isolate and a faked line. */
const HOSTILE = '\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202eexe.txt\u2066\nFAKE line';
/** Anything of HOSTILE a terminal would obey; arcadia's own colours (ESC[..m) are checked apart. */

const OBEYED = /\u001b\[2J|\u001b\]|\u0007|\u009b|\u202e|\u2066|\nFAKE/;

interface Captured {
  output: Output;
  stdout: () => string;
  stderr: () => string;
}

function streams(tty: boolean): { streams: OutputStreams; stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  const stream = (append: (chunk: string) => void) =>
    ({
      isTTY: tty,
      columns: 100,
      write: (chunk: string) => (append(chunk), true),
    }) as unknown as OutputStreams['stderr'];
  return {
    streams: { stdout: stream((c) => (out += c)), stderr: stream((c) => (err += c)) },
    stdout: () => out,
    stderr: () => err,
  };
}

function capture(mode: 'plain' | 'tty' | 'json'): Captured {
  const s = streams(mode === 'tty');
  return { output: new Output(mode, s.streams), stdout: s.stdout, stderr: s.stderr };
}

/** A terminal with colour on, as Output.detect makes it (chalk loaded). */
async function colourTerminal(): Promise<Captured> {
  const s = streams(true);
  const output = await Output.detect(s.streams, { TERM: 'xterm-256color' }, false);
  expect(output.mode).toBe('tty');
  return { output, stdout: s.stdout, stderr: s.stderr };
}

describe('human output is safe by default', () => {
  it('the single-droplet result line neutralises escapes in the snapshot id, name and error (plain and tty)', () => {
    for (const mode of ['plain', 'tty'] as const) {
      const { output, stdout } = capture(mode);
      printSnapshotResults(output, [
        {
          dropletId: 1001,
          sagaId: 'saga-1',
          status: 'succeeded',
          snapshotId: `150${HOSTILE}`,
          snapshotName: `name${HOSTILE}`,
          error: null,
          resumed: false,
        },
      ]);
      printSnapshotResults(output, [
        {
          dropletId: 1001,
          sagaId: 'saga-1',
          status: 'rolled_back',
          snapshotId: null,
          snapshotName: null,
          error: `boom${HOSTILE}`,
          resumed: false,
        },
      ]);
      expect(stdout(), mode).not.toMatch(OBEYED);
      expect(stdout().trim().split('\n'), `${mode}: one line each`).toHaveLength(2);
    }
  });

  it("a plain string prints as one inert line; tables and terminal`` colours keep only arcadia's escapes", async () => {
    const { output, stdout } = await colourTerminal();
    output.print(`value ${HOSTILE}`);
    output.print(output.table(['A', 'B'], [[`cell${HOSTILE}`, 1]]));
    output.print(terminal`${output.color.bold(`status${HOSTILE}`)} and ${HOSTILE}`);
    expect(stdout()).not.toMatch(OBEYED);
    expect(stdout(), "arcadia's own bold survives").toContain('\u001b[1mstatus');
  });

  it('a saga outcome line with a hostile error, colours on', async () => {
    const { output, stdout } = await colourTerminal();
    const saga = {
      id: 'abc',
      status: 'rolled_back',
      error: HOSTILE,
      steps: [{ name: 'noop', status: 'compensated' }],
    } as unknown as SagaRecord;
    printSagaOutcome(output, saga);
    expect(stdout()).not.toMatch(OBEYED);
  });

  it('progress, warnings and errors on stderr', () => {
    const { output, stderr } = capture('plain');
    output.progress(HOSTILE);
    output.warn(HOSTILE);
    output.error('code', HOSTILE);
    expect(stderr()).not.toMatch(OBEYED);
    expect(stderr().trim().split('\n')).toHaveLength(3);
  });
});

describe('--json output', () => {
  it('escapes C1 and bidi controls (and line separators), keeping every value exactly', () => {
    const { output, stdout } = capture('json');
    const value = { id: HOSTILE, note: '\u2028\u2029\u061c\u200f\ufeff' };
    output.json(value);
    output.error('digitalocean_bad', HOSTILE);
    expect(stdout()).not.toMatch(
      /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/,
    );
    const [first, second] = stdout().split('\n}\n');
    expect(JSON.parse(`${first}\n}`)).toEqual(value);
    expect(JSON.parse(second ?? '')).toEqual({ error: { code: 'digitalocean_bad', message: HOSTILE } });
    expect(inertJson('\u009b')).toBe('"\\u009b"');
  });
});
