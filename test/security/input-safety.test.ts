import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDigitalOceanClient } from '../../src/digitalocean/client.js';
import { API_URL_VARIABLE, isLoopbackHost, validateApiUrl } from '../../src/digitalocean/api-url.js';
import { ConfigError } from '../../src/errors.js';
import { FAST_SIMULATOR, arcadia, readSagas, sandbox, type RunResult, type Sandbox } from '../e2e/harness.js';
import { NO_EGRESS, UNSAFE_CONTROL, arcadiaIn, expectJsonError, expectOneErrorLine, inProcess, lines } from './util.js';

/** Addresses that must never be connected to: used only as strings that arcadia refuses before any socket opens. */
const NON_LOOPBACK_HTTP = [
  'http://10.1.2.3',
  'http://10.1.2.3:8080/v2',
  'http://example.com',
  'http://127.0.0.1.example.com',
  'http://localhost.example.com',
  'http://0.0.0.0:80',
  'http://[::2]/',
];

function refusal(raw: string): ConfigError {
  try {
    validateApiUrl(raw);
  } catch (error) {
    expect(error, raw).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`validateApiUrl accepted ${raw}`);
}

describe('validateApiUrl (no connection involved)', () => {
  it.each([
    'http://127.0.0.1:8089',
    'http://127.0.0.1:8089/',
    'http://127.9.8.7',
    'http://localhost:3000/base',
    'HTTP://LOCALHOST:3000',
    'http://[::1]:8080',
    'http://2130706433:8089', // WHATWG parsing makes it 127.0.0.1: still loopback
  ])('accepts http:// on loopback: %s', (raw) => {
    expect(isLoopbackHost(validateApiUrl(raw).hostname)).toBe(true);
  });

  it.each([
    'https://api.digitalocean.com',
    'https://10.1.2.3',
    'https://example.com/proxy/',
    'https://[2001:db8::1]:8443',
  ])('accepts https:// for any host (validation only): %s', (raw) => {
    expect(validateApiUrl(raw).protocol).toBe('https:');
  });

  it.each(NON_LOOPBACK_HTTP)('refuses http:// to a non-loopback host, naming ARCADIA_API_URL: %s', (raw) => {
    const error = refusal(raw);
    expect(error.variable).toBe(API_URL_VARIABLE);
    expect(error.message).toContain('ARCADIA_API_URL');
    expect(error.message).toMatch(/https:\/\//);
  });

  it.each([
    ['ftp://127.0.0.1/', /scheme ftp:/],
    ['file:///etc/passwd', /scheme file:/],
    ['javascript:alert(1)', /scheme javascript:/],
    ['ws://127.0.0.1:1', /scheme ws:/],
    ['not a url', /not a URL/],
    ['', /not a URL/],
    ['//127.0.0.1', /not a URL/],
    ['http://user:hunter2@127.0.0.1:1', /credentials/],
    ['http://127.0.0.1@10.1.2.3/', /credentials/], // userinfo trick: the host is 10.1.2.3
    ['https://api.example.com/?x=1', /query or fragment/],
    ['http://10.1.2.3#@127.0.0.1', /query or fragment/],
  ])('refuses %s', (raw, why) => {
    const error = refusal(raw);
    expect(error.message).toMatch(why);
    expect(error.variable).toBe(API_URL_VARIABLE);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toMatch(UNSAFE_CONTROL);
  });

  it('making a client for an https:// host opens no connection', () => {
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    try {
      const client = createDigitalOceanClient({ apiUrl: 'https://10.1.2.3', provisioningToken: 'dop_v1_unused' });
      expect(client).toBeDefined();
      expect(connect).not.toHaveBeenCalled();
      expect(() => createDigitalOceanClient({ apiUrl: 'http://10.1.2.3', provisioningToken: 'dop_v1_unused' })).toThrow(
        /ARCADIA_API_URL/,
      );
      expect(connect).not.toHaveBeenCalled();
    } finally {
      connect.mockRestore();
    }
  });
});

let box: Sandbox;
beforeAll(async () => {
  box = await sandbox(
    {
      ...FAST_SIMULATOR,
      actionDurationMs: { ...FAST_SIMULATOR.actionDurationMs, snapshot: 150 },
      snapshotListingLagMs: 100,
    },
    NO_EGRESS,
  );
});
afterAll(async () => {
  await box?.cleanup();
});

function posts(): number {
  return box.sim.state().requests.filter((r) => r.method !== 'GET').length;
}

describe('http:// to a non-loopback host is refused before anything connects', () => {
  it('the egress guard itself works: a fetch to a host it does not allow exits 99 before connecting', async () => {
    // 127.0.0.2 is loopback, so even a broken guard would send nothing off the machine.
    const child = spawn(process.execPath, ['-e', "fetch('http://127.0.0.2:18089/').catch(() => process.exit(0))"], {
      env: { PATH: process.env.PATH, ...NO_EGRESS, NO_EGRESS_ALLOW: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(99);
    expect(stderr).toContain('NO-EGRESS: blocked a connection to 127.0.0.2');
  });

  it(
    'snapshot and reconcile with ARCADIA_API_URL=http://10.1.2.3 (the real binary, egress guarded): exit 4, one ' +
      'line naming ARCADIA_API_URL',
    async () => {
      const env = { ...box.env, ARCADIA_API_URL: 'http://10.1.2.3' };
      const before = posts();
      const [plain, json, reconcile] = await Promise.all([
        arcadia(['snapshot', '1001'], env),
        arcadia(['snapshot', '1001', '--json'], env),
        arcadia(['reconcile'], env),
      ]);
      for (const r of [plain, json, reconcile]) {
        expect(r.stderr).not.toContain('NO-EGRESS');
        expect(r.code, r.stdout + r.stderr).toBe(4);
      }
      expect(expectOneErrorLine(plain, 'snapshot')).toMatch(
        /ARCADIA_API_URL may use http:\/\/ only for a loopback host/,
      );
      expect(expectOneErrorLine(reconcile, 'reconcile')).toContain('ARCADIA_API_URL');
      const error = expectJsonError(json, 'snapshot --json');
      expect(error.code).toBe('config');
      expect(error.message).toContain('ARCADIA_API_URL');
      expect(posts()).toBe(before);
      expect(readSagas(box.home)).toEqual([]);
    },
  );

  it.each(NON_LOOPBACK_HTTP)(
    'in-process, ARCADIA_API_URL=%s: refused with exit 4 and no socket opened',
    async (url) => {
      const connect = vi.spyOn(net.Socket.prototype, 'connect');
      try {
        const env = { ...box.env, ARCADIA_API_URL: url };
        const [plain, json] = [
          await inProcess(['snapshot', '1001'], env),
          await inProcess(['reconcile', '--json'], env),
        ];
        expect(plain.code).toBe(4);
        expect(expectOneErrorLine(plain, url)).toContain('ARCADIA_API_URL');
        expect(json.code).toBe(4);
        expect(expectJsonError(json, url).message).toContain('ARCADIA_API_URL');
        expect(connect).not.toHaveBeenCalled();
      } finally {
        connect.mockRestore();
      }
    },
  );

  it('resuming a snapshot saga with a non-loopback http:// URL: exit 4, and the saga stays resumable', async () => {
    const created = await arcadia(['snapshot', '1002', '--detach', '--json'], box.env);
    expect(created.code, created.stderr).toBe(0);
    const sagaId = (JSON.parse(created.stdout) as { sagaId: string }[])[0]?.sagaId ?? '';
    const refused = await arcadia(['saga', 'resume', sagaId], { ...box.env, ARCADIA_API_URL: 'http://10.1.2.3' });
    expect(refused.stderr).not.toContain('NO-EGRESS');
    const after = readSagas(box.home).find((s) => s.id === sagaId);
    const fixed = await arcadia(['saga', 'resume', sagaId], box.env);
    expect.soft(refused.code, refused.stdout + refused.stderr).toBe(4);
    expect(refused.stdout + refused.stderr).toContain('ARCADIA_API_URL');
    // A setting to fix is not a failed compensation: nothing was made, and fixing the URL must be enough.
    expect(after?.status, refused.stdout + refused.stderr).not.toBe('compensation_failed');
    expect(['pending', 'running']).toContain(after?.status);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
  });
});

describe('--label with shell or control characters', () => {
  const badLabels: [string, string][] = [
    ['command substitution', '$(touch x)'],
    ['backticks', '`touch x`'],
    ['semicolon', 'a;b'],
    ['pipe', 'a|touch x'],
    ['redirect', 'a>x'],
    ['space', 'before upgrade'],
    ['escape sequence (clear screen)', 'a\u001b[2J'],
    ['OSC title sequence', 'a\u001b]0;pwned\u0007'],
    ['newline', 'a\nerror: fake'],
    ['carriage return', 'a\rb'],
    ['C1 CSI', 'a\u009b2J'],
    ['path traversal', '../../etc'],
    ['upper case', 'Before'],
    ['leading dot', '.hidden'],
    ['non-ASCII', 'café'],
    ['empty', ''],
    ['41 characters', 'a'.repeat(41)],
  ];

  let cwd: string;
  let freshHome: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'arcadia-label-cwd-'));
    freshHome = join(cwd, 'home-never-made');
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it.each(badLabels)('%s: exit 2, one safe line, nothing created', async (_name, label) => {
    const before = posts();
    const env = { ...box.env, ARCADIA_HOME: freshHome };
    const plain = await inProcess(['snapshot', '1001', '--label', label], env);
    const json = await inProcess(['snapshot', '1001', `--label=${label}`, '--json'], env);
    expect(plain.code, plain.stderr).toBe(2);
    expect(expectOneErrorLine(plain, label)).toMatch(/--label must be/);
    expect(plain.stderr).not.toMatch(UNSAFE_CONTROL);
    expect(json.code, json.stdout).toBe(2);
    expect(expectJsonError(json, label).code).toBe('usage');
    // Nothing ran, nothing was written: no ledger, no request that changes anything.
    expect(existsSync(freshHome)).toBe(false);
    expect(posts()).toBe(before);
  });

  it(
    'the real binary, in a scratch directory: `$(touch x)` and `a;touch y` as labels run nothing and create ' +
      'nothing',
    async () => {
      const env = { ...box.env, ARCADIA_HOME: freshHome };
      const runs = await Promise.all([
        arcadiaIn(cwd, ['snapshot', '1001', '--label', '$(touch x)'], env),
        arcadiaIn(cwd, ['snapshot', '1001', '--label', 'a;touch y', '--json'], env),
      ]);
      expect(runs.map((r) => r.code)).toEqual([2, 2]);
      expectOneErrorLine(runs[0] as RunResult, 'binary');
      expectJsonError(runs[1] as RunResult, 'binary --json');
      expect(readdirSync(cwd)).toEqual([]);
      expect(existsSync(freshHome)).toBe(false);
    },
  );

  it('a good label is accepted and ends up in the snapshot name', async () => {
    const r = await arcadia(['snapshot', '1001', '--label', 'before-upgrade_1.2', '--json'], box.env);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { snapshotName: string }[])[0]?.snapshotName).toMatch(
      /^arcadia-snap-1001-[0-9a-f]{8}-before-upgrade_1\.2$/,
    );
  });
});

describe('control characters in other printed values are made safe', () => {
  const ESC = '\u001b';
  const hostile = `evil${ESC}[2J${ESC}]0;owned\u0007\nFAKE error: all snapshots deleted\r\u009b31m`;

  /** What is unsafe in a run's output: raw control characters, and lines a value started on its own. */
  function unsafeIn(r: RunResult): string[] {
    const text = r.stdout + r.stderr;
    const controls = [
      ...new Set(
        [...text]
          .filter((ch) => UNSAFE_CONTROL.test(ch))
          .map((ch) => `U+${ch.codePointAt(0)?.toString(16).padStart(4, '0')}`),
      ),
    ];
    const fake = lines(text).filter((line) => line.startsWith('FAKE'));
    return [...controls.map((c) => `raw ${c}`), ...fake.map((line) => `own line: ${JSON.stringify(line)}`)];
  }

  function expectSafe(r: RunResult, what: string): void {
    expect(unsafeIn(r), `${what}:\n${JSON.stringify(r.stdout + r.stderr)}`).toEqual([]);
  }

  it('echoed command-line values in error lines', async () => {
    const runs = [
      await arcadia(['snapshot', `1${ESC}[2J`], box.env), // one through the real binary
      await inProcess(['snapshot', '1001', `--tag`, `web${ESC}[31m`], box.env),
      await inProcess(['snapshot', '1001', `--bogus${ESC}]0;x\u0007`], box.env),
      await inProcess(['saga', 'show', `${ESC}[2J\nFAKE`], box.env),
      await inProcess(['saga', 'start', '--kind', 'test', '--step', `noop${ESC}[2J`], box.env),
      await inProcess([`frob${ESC}[2J\nFAKE`], box.env),
    ];
    for (const [i, r] of runs.entries()) {
      expect(r.code, `#${i}: ${r.stderr}`).toBe(2);
      expectOneErrorLine(r, `#${i}`);
      expectSafe(r, `#${i}`);
    }
  });

  it('a hostile --triggered-by, --deployment and --input, shown by saga start, list and show', async () => {
    const started = await arcadia(
      [
        'saga',
        'start',
        '--kind',
        'test',
        '--step',
        'noop',
        '--triggered-by',
        hostile,
        '--deployment',
        `d${ESC}]0;t\u0007`,
        '--input',
        `note=${hostile}`,
        '--json',
      ],
      box.env,
    );
    expect(started.code, started.stderr).toBe(0);
    const sagaId = (JSON.parse(started.stdout) as { id: string }).id;
    const views = {
      'saga start': await inProcess(
        ['saga', 'start', '--kind', 'test', '--step', 'noop', '--triggered-by', hostile],
        box.env,
      ),
      'saga list': await inProcess(['saga', 'list'], box.env),
      'saga list --deployment': await inProcess(['saga', 'list', '--deployment', `d${ESC}]0;t\u0007`], box.env),
      'saga show': await arcadia(['saga', 'show', sagaId], box.env),
    };
    for (const [what, r] of Object.entries(views)) expect(r.code, `${what}: ${r.stderr}`).toBe(0);
    const problems = Object.fromEntries(Object.entries(views).map(([what, r]) => [what, unsafeIn(r)]));
    expect(problems, JSON.stringify(views['saga show'].stdout)).toEqual(
      Object.fromEntries(Object.keys(views).map((what) => [what, []])),
    );
    // JSON keeps the value exactly (escaped), for machines.
    const shown = await inProcess(['saga', 'show', sagaId, '--json'], box.env);
    expect((JSON.parse(shown.stdout) as { triggeredBy: string }).triggeredBy).toBe(hostile);
  });
});
