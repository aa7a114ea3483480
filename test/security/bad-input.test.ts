import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_SIMULATOR, arcadia, readSagas, sandbox, start, type RunResult, type Sandbox } from '../e2e/harness.js';
import { NO_EGRESS, expectJsonError, expectOneErrorLine, inProcess, ledgerBytes } from './util.js';

/**
 * README "Exit codes": 2 is "usage or bad input; nothing was changed". Every refusal below must exit 2 with exactly one
 * line on stderr (or exactly one `{"error":{"code","message"}}` object on stdout with --json), and change nothing: the
 * ledger's bytes and saga count stay the same, no lock is left, and a refusal that needs no API does not even create
 * the home.
 *
 * The whole table runs in-process through runCli (what bin/arcadia.js runs, minus the umask and process.exit), plain
 * and --json; a sample of it also runs as the real binary, to show the two agree.
 */

interface Case {
  name: string;
  args: string[];
  /** The args already ask for JSON: only the JSON expectations apply. */
  jsonOnly?: boolean;
  /** Refused before anything is opened: a home that does not exist stays that way. */
  parseOnly: boolean;
  message?: RegExp;
}

const p = (name: string, args: string[], message?: RegExp): Case => ({
  name,
  args,
  parseOnly: true,
  ...(message ? { message } : {}),
});
const api = (name: string, args: string[], message?: RegExp): Case => ({
  name,
  args,
  parseOnly: false,
  ...(message ? { message } : {}),
});

const CASES: Case[] = [
  // snapshot: which droplets
  p('snapshot with nothing', ['snapshot'], /give droplet ids, --tag, or both/),
  p('snapshot abc', ['snapshot', 'abc'], /"abc" is not a droplet id/),
  p('snapshot -5', ['snapshot', '-5']),
  p('snapshot 0', ['snapshot', '0'], /not a droplet id/),
  p('snapshot 1.5', ['snapshot', '1.5'], /not a droplet id/),
  p('snapshot 1e3', ['snapshot', '1e3'], /not a droplet id/),
  p('snapshot 0x10', ['snapshot', '0x10'], /not a droplet id/),
  p('snapshot with a 16-digit id', ['snapshot', '1234567890123456'], /not a droplet id/),
  p('snapshot with one bad id among good ones', ['snapshot', '1001', 'abc', '1002'], /"abc"/),
  p('snapshot with an id of spaces', ['snapshot', ' 1001 '], /not a droplet id/),
  // snapshot: numbers out of range or malformed
  p('--concurrency 0', ['snapshot', '1001', '--concurrency', '0'], /--concurrency/),
  p('--concurrency 1001', ['snapshot', '1001', '--concurrency', '1001'], /--concurrency.*1 to 1000/),
  p('--concurrency -1', ['snapshot', '1001', '--concurrency', '-1']),
  p('--concurrency abc', ['snapshot', '1001', '--concurrency', 'abc'], /--concurrency/),
  p('--concurrency 2.5', ['snapshot', '1001', '--concurrency', '2.5'], /--concurrency/),
  p('--concurrency with no value', ['snapshot', '1001', '--concurrency'], /--concurrency/),
  p('--keep 0', ['snapshot', '1001', '--keep', '0'], /--keep.*1 to 1000/),
  p('--keep x', ['snapshot', '1001', '--keep', 'x'], /--keep/),
  p('--keep 1001', ['snapshot', '1001', '--keep', '1001'], /--keep/),
  p('--keep empty', ['snapshot', '1001', '--keep', ''], /--keep/),
  p('--keep 99999999999999999999', ['snapshot', '1001', '--keep', '99999999999999999999'], /--keep/),
  // snapshot: conflicting options
  p('--dry-run without --keep', ['snapshot', '1001', '--dry-run'], /--dry-run.*--keep/),
  p('--dry-run --detach', ['snapshot', '1001', '--keep', '3', '--dry-run', '--detach'], /--dry-run and --detach/),
  // snapshot: tags and texts
  p("--tag 'bad tag!'", ['snapshot', '--tag', 'bad tag!'], /not a DigitalOcean tag name/),
  p('--tag empty', ['snapshot', '--tag', ''], /tag/),
  p('--tag of 256 characters', ['snapshot', '--tag', 'x'.repeat(256)], /not a DigitalOcean tag name/),
  p('--tag with no value', ['snapshot', '1001', '--tag'], /--tag/),
  p('--label with no value', ['snapshot', '1001', '--label'], /--label/),
  p('--label bad', ['snapshot', '1001', '--label', 'Bad Label'], /--label must be/),
  p('--triggered-by with no value', ['snapshot', '1001', '--triggered-by'], /--triggered-by/),
  p('snapshot unknown option', ['snapshot', '1001', '--bogus'], /unknown option '--bogus'/),
  p('snapshot unknown short option', ['snapshot', '1001', '-x'], /unknown option '-x'/),
  // snapshot: refused by the provider, before any saga exists
  api('unknown droplet', ['snapshot', '4242'], /droplet 4242 not found: The resource you requested could not be found/),
  api('unknown droplet among known ones', ['snapshot', '1001', '4242'], /droplet 4242 not found/),
  api('unknown droplet with --tag', ['snapshot', '4242', '--tag', 'web'], /droplet 4242 not found/),
  api('unknown droplet, --keep --dry-run', ['snapshot', '4242', '--keep', '2', '--dry-run'], /droplet 4242 not found/),
  api('unknown droplet, --detach', ['snapshot', '4242', '--detach'], /droplet 4242 not found/),
  api('a tag no droplet carries', ['snapshot', '--tag', 'nosuchtag'], /no droplets carry the tag nosuchtag/),
  // reconcile
  p('reconcile 1 --tag web', ['reconcile', '1001', '--tag', 'web'], /ids or --tag, not both/),
  p('reconcile abc', ['reconcile', 'abc'], /"abc" is not a droplet id/),
  p('reconcile -1', ['reconcile', '-1']),
  p('reconcile unknown option', ['reconcile', '--bogus'], /unknown option/),
  p('reconcile --tag with no value', ['reconcile', '--tag'], /--tag/),
  p("reconcile --tag 'bad tag!'", ['reconcile', '--tag', 'bad tag!'], /tag/),
  // simulator
  p('simulator --port 70000', ['simulator', '--port', '70000'], /--port.*0 to 65535/),
  p('simulator --port -1', ['simulator', '--port', '-1'], /--port/),
  p('simulator --port abc', ['simulator', '--port', 'abc'], /--port/),
  p('simulator --port with no value', ['simulator', '--port'], /--port/),
  p('simulator --config with no value', ['simulator', '--config'], /--config/),
  p('simulator extra argument', ['simulator', 'extra'], /too many arguments/),
  p('simulator unknown option', ['simulator', '--bogus'], /unknown option/),
  // demo
  p('demo extra argument', ['demo', 'extra'], /too many arguments/),
  p('demo unknown option', ['demo', '--bogus'], /unknown option/),
  // global
  p('unknown global option', ['--bogus'], /unknown option '--bogus'/),
  p('unknown command', ['frobnicate'], /unknown command 'frobnicate'/),
  p('misspelt command', ['snapshots', '1001'], /unknown command 'snapshots' \(Did you mean snapshot\?\)$/),
  { ...p('--json before the command', ['--json', 'snapshot', '1001'], /unknown option '--json'/), jsonOnly: true },
];

let box: Sandbox;
let home: string;
let scratch: string;

/** The same args asking for JSON: `--json` right after the command, so it is never taken as an option's value. */
function withJson(args: string[]): string[] {
  if (args.includes('--json')) return args;
  const commands = ['snapshot', 'reconcile', 'simulator', 'demo', 'saga'];
  return args[0] !== undefined && commands.includes(args[0])
    ? [args[0], '--json', ...args.slice(1)]
    : ['--json', ...args];
}

/** The real binary, killed if it does not exit: a bad-input case that started a server or a saga would hang. */
async function binary(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  const { child, done } = start(args, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

function fingerprint(): string {
  const locks = existsSync(join(home, 'locks')) ? readdirSync(join(home, 'locks')) : [];
  return JSON.stringify({ bytes: ledgerBytes(home), locks, sagas: readSagas(home).length });
}

function expectRefused(r: { plain: RunResult | undefined; json: RunResult }, c: Case): void {
  if (r.plain) {
    expect(r.plain.code, `plain: ${r.plain.stdout}${r.plain.stderr}`).toBe(2);
    const line = expectOneErrorLine(r.plain, c.name);
    if (c.message) expect(line).toMatch(c.message);
    expect(r.plain.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }
  expect(r.json.code, `--json: ${r.json.stdout}${r.json.stderr}`).toBe(2);
  const error = expectJsonError(r.json, `${c.name} --json`);
  expect(error.code).toBe('usage');
  expect(error.message).not.toMatch(/^error:/);
  if (c.message && !r.plain) expect(error.message).toMatch(c.message);
}

beforeAll(async () => {
  box = await sandbox(FAST_SIMULATOR, NO_EGRESS);
  home = box.home;
  scratch = mkdtempSync(join(tmpdir(), 'arcadia-bad-input-'));
  // A ledger with history, so "unchanged" means something.
  const seeded = await arcadia(['saga', 'start', '--kind', 'test', '--step', 'noop'], box.env);
  expect(seeded.code, seeded.stderr).toBe(0);
});

afterAll(async () => {
  await box?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('bad input: exit 2, one line (or one JSON error), nothing changed', () => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    const before = fingerprint();
    const plain = c.jsonOnly ? undefined : await inProcess(c.args, box.env);
    // Refusals needing no API run against a home that does not exist, to show it is not even created.
    const freshHome = join(scratch, `fresh-${i}`);
    const json = await inProcess(withJson(c.args), c.parseOnly ? { ...box.env, ARCADIA_HOME: freshHome } : box.env);
    expectRefused({ plain, json }, c);
    expect(fingerprint(), 'the ledger, its locks or its saga count changed').toBe(before);
    if (c.parseOnly) expect(existsSync(freshHome), 'a refusal needing no API created the home').toBe(false);
    expect(box.sim.state().actions, 'no droplet action was ever started').toEqual([]);
  });

  const SAMPLE = [
    'snapshot -5',
    '--concurrency 1001',
    'unknown droplet among known ones',
    'simulator --port 70000',
    'misspelt command',
  ];
  it('the real binary agrees on a sample of the table', async () => {
    const cases = CASES.filter((c) => SAMPLE.includes(c.name));
    expect(cases).toHaveLength(SAMPLE.length);
    const before = fingerprint();
    const runs = await Promise.all(
      cases.map(async (c) => ({
        c,
        plain: await binary(c.args, box.env),
        json: await binary(withJson(c.args), box.env),
      })),
    );
    for (const { c, plain, json } of runs) expectRefused({ plain, json }, c);
    expect(fingerprint()).toBe(before);
    expect(box.sim.state().actions).toEqual([]);
  });

  it('no saga was created by any of them', () => {
    expect(readSagas(home).map((s) => s.kind)).toEqual(['test']);
  });

  it('bare `arcadia` prints the usage on stderr and exits 2', async () => {
    const r = await binary([], box.env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: arcadia/);
  });

  it('simulator --config naming a missing file: one line, exit 4 (configuration)', async () => {
    const r = await binary(['simulator', '--config', join(scratch, 'missing.json')], box.env);
    expect(r.code).toBe(4);
    expect(expectOneErrorLine(r, 'missing config')).toContain('missing.json');
  });
});
