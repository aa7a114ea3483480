import { SMOKE_ARGS } from '../../tools/chaos/plan.js';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_SIMULATOR, arcadia, readSagas, sandbox, start, type RunResult, type Sandbox } from '../e2e/harness.js';
import { NO_EGRESS, expectJsonError, expectOneErrorLine, filesUnder, mode, sleep } from './util.js';

/**
 * README: "Tokens never reach the ledger, a log line, an error message or --json output. The ledger and lock files are
 * readable by their owner only." Every command, in success and failure, plain and --json, with each token variable.
 */

const secret = (): string => `dop_v1_${randomBytes(32).toString('hex')}`;
const TOKEN = secret();
const READ_ONLY = secret();
const WRONG = secret();
const SECRETS = { TOKEN, READ_ONLY, WRONG };

/** The whole token, and its first and last 16 hex digits, so a truncated echo (`.slice(0, 40)`) is caught too. */
const NEEDLES = Object.entries(SECRETS).flatMap(([name, value]) => {
  const hex = value.slice('dop_v1_'.length);
  return [
    { name, needle: value },
    { name: `${name} (head)`, needle: hex.slice(0, 16) },
    { name: `${name} (tail)`, needle: hex.slice(-16) },
  ];
});

function leaksIn(text: string | Buffer): string[] {
  const buffer = typeof text === 'string' ? Buffer.from(text) : text;
  return NEEDLES.filter(({ needle }) => buffer.includes(needle)).map(({ name }) => name);
}

const outputs: { label: string; run: RunResult }[] = [];

function expectNoSecret(run: RunResult, label: string): void {
  outputs.push({ label, run });
  expect(leaksIn(run.stdout), `${label}: token in stdout:\n${run.stdout}`).toEqual([]);
  expect(leaksIn(run.stderr), `${label}: token in stderr:\n${run.stderr}`).toEqual([]);
}

let box: Sandbox;
let home: string;
let previousUmask: number;

/** The sandbox env with `overrides` over it; an undefined override removes the variable. */
function envWith(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...box.env, ARCADIA_HOME: home, ARCADIA_HTTP_RETRIES: '1', ...overrides };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  return env;
}

async function run(
  label: string,
  args: string[],
  overrides: Record<string, string | undefined> = {},
): Promise<RunResult> {
  const result = await arcadia(args, envWith(overrides));
  expectNoSecret(result, `${label} (arcadia ${args.join(' ')})`);
  return result;
}

function liveSnapshots(): string[] {
  return box.sim
    .state()
    .snapshots.filter((s) => s.deletedAt === null && s.name.startsWith('arcadia-snap-'))
    .map((s) => s.name);
}

beforeAll(async () => {
  // arcadia must make its files owner-only by itself, whatever umask cron gives it.
  previousUmask = process.umask(0);
  box = await sandbox(
    {
      ...FAST_SIMULATOR,
      actionDurationMs: { ...FAST_SIMULATOR.actionDurationMs, snapshot: 150 },
      snapshotListingLagMs: 100,
      tokens: [TOKEN],
      readOnlyTokens: [READ_ONLY],
      droplets: [
        // a snapshot with arcadia's name pattern and no saga: a leak for `reconcile` to find
        {
          id: 1001,
          name: 'web-1',
          tags: ['web'],
          snapshots: [{ name: 'arcadia-snap-1001-deadbeef', sizeGigabytes: 2 }],
        },
        { id: 1002, name: 'web-2', tags: ['web'] },
      ],
    },
    { DIGITALOCEAN_ACCESS_TOKEN: TOKEN },
  );
  // Not created in advance: arcadia creates the home, so its mode is arcadia's doing.
  home = join(box.home, 'nested', 'home');
});

afterAll(async () => {
  process.umask(previousUmask);
  await box?.cleanup();
});

describe('tokens never leak', () => {
  it(
    'a snapshot that succeeds: no token in output; while it runs the ledger, WAL, shm and lock files hold none ' +
      'and are owner-only',
    async () => {
      const { done } = start(['snapshot', '1001', '--label', 'sec'], envWith());
      const seen = new Set<string>();
      const problems: string[] = [];
      let finished = false;
      void done.then(() => (finished = true));
      while (!finished) {
        for (const { path, bytes } of filesUnder(home)) {
          const name = path.slice(home.length + 1);
          seen.add(name.replace(/^locks\/.*\.lock$/, 'locks/*.lock'));
          for (const leak of leaksIn(bytes)) problems.push(`${leak} in ${name}`);
          try {
            if (mode(path) !== 0o600) problems.push(`${name} has mode ${mode(path).toString(8)}`);
          } catch {
            // let go of between reading and stat
          }
        }
        if (existsSync(home) && mode(home) !== 0o700) problems.push(`home has mode ${mode(home).toString(8)}`);
        if (existsSync(join(home, 'locks')) && mode(join(home, 'locks')) !== 0o700)
          problems.push(`locks/ has mode ${mode(join(home, 'locks')).toString(8)}`);
        await sleep(15);
      }
      const result = await done;
      expectNoSecret(result, 'snapshot ok');
      expect(result.code, result.stderr).toBe(0);
      expect([...new Set(problems)]).toEqual([]);
      // The watch above saw the files it is about, so the checks were not vacuous.
      expect([...seen]).toEqual(
        expect.arrayContaining(['arcadia.db', 'arcadia.db-wal', 'arcadia.db-shm', 'locks/*.lock']),
      );

      const json = await run('snapshot ok --json', ['snapshot', '1002', '--json']);
      expect(json.code, json.stderr).toBe(0);
      expect((JSON.parse(json.stdout) as { status: string }[])[0]?.status).toBe('succeeded');
    },
  );

  it('a snapshot of an unknown droplet: exit 2 with the provider message, no token', async () => {
    const [plain, json] = await Promise.all([
      run('unknown droplet', ['snapshot', '4242']),
      run('unknown droplet --json', ['snapshot', '4242', '--json']),
    ]);
    expect(plain.code).toBe(2);
    expect(expectOneErrorLine(plain, 'unknown droplet')).toMatch(/4242.*could not be found/);
    expect(json.code).toBe(2);
    expect(expectJsonError(json, 'unknown droplet --json').message).toMatch(/could not be found/);
  });

  // Which variable a rejected token came from, per the fallbacks of README "Environment".
  const rejected: { name: string; env: Record<string, string | undefined>; variable: string }[] = [
    {
      name: 'DIGITALOCEAN_ACCESS_TOKEN wrong',
      env: { DIGITALOCEAN_ACCESS_TOKEN: WRONG },
      variable: 'DIGITALOCEAN_ACCESS_TOKEN',
    },
    {
      name: 'only ARCADIA_PROVISIONING_TOKEN, wrong (reads fall back to it)',
      env: { DIGITALOCEAN_ACCESS_TOKEN: undefined, ARCADIA_PROVISIONING_TOKEN: WRONG },
      variable: 'ARCADIA_PROVISIONING_TOKEN',
    },
    { name: 'ARCADIA_READ_TOKEN wrong', env: { ARCADIA_READ_TOKEN: WRONG }, variable: 'ARCADIA_READ_TOKEN' },
  ];
  for (const c of rejected) {
    it(`401 (${c.name}): exit 4, one line naming ${c.variable}, never the token; no saga`, async () => {
      const before = readSagas(home).length;
      const [plain, json] = await Promise.all([
        run(c.name, ['snapshot', '1001'], c.env),
        run(c.name, ['reconcile', '--json'], c.env),
      ]);
      for (const [label, r] of Object.entries({ plain, json }))
        expect(r.code, `${label}: ${r.stdout}${r.stderr}`).toBe(4);
      const line = expectOneErrorLine(plain, c.name);
      const error = expectJsonError(json, c.name);
      for (const message of [line, error.message]) {
        expect(message).toContain('401');
        expect(message).toContain(c.variable);
      }
      expect(error.code).toBe('digitalocean_unauthorized');
      expect(readSagas(home).length).toBe(before);
    });
  }

  it('no token at all: exit 4 naming the variables to set', async () => {
    const r = await run('no token', ['snapshot', '1001'], { DIGITALOCEAN_ACCESS_TOKEN: undefined });
    expect(r.code).toBe(4);
    expect(expectOneErrorLine(r, 'no token')).toContain('DIGITALOCEAN_ACCESS_TOKEN');
  });

  it('a read-only token used only for reads (ARCADIA_READ_TOKEN) works; writes use the full token', async () => {
    const r = await run('read-only for reads', ['snapshot', '1002', '--json'], { ARCADIA_READ_TOKEN: READ_ONLY });
    expect(r.code, r.stderr).toBe(0);
    const posts = box.sim.state().requests.filter((q) => q.method === 'POST');
    expect(posts.at(-1)?.token).toBe('tokens[0]');
  });

  // ARCHITECTURE.md, "Interface": exit 4 for "configuration or authentication (no token, 401, 403)".
  const writeRefused: { name: string; env: Record<string, string | undefined>; variable: string; status: string }[] = [
    {
      name: 'a read-only DIGITALOCEAN_ACCESS_TOKEN',
      env: { DIGITALOCEAN_ACCESS_TOKEN: READ_ONLY },
      variable: 'DIGITALOCEAN_ACCESS_TOKEN',
      status: '403',
    },
    {
      name: 'a read-only ARCADIA_PROVISIONING_TOKEN',
      env: { ARCADIA_PROVISIONING_TOKEN: READ_ONLY },
      variable: 'ARCADIA_PROVISIONING_TOKEN',
      status: '403',
    },
    {
      name: 'a wrong ARCADIA_PROVISIONING_TOKEN with a good read token',
      env: { ARCADIA_PROVISIONING_TOKEN: WRONG },
      variable: 'ARCADIA_PROVISIONING_TOKEN',
      status: '401',
    },
  ];
  for (const c of writeRefused) {
    it(`writing with ${c.name}: exit 4 naming ${c.variable}, no token, no snapshot made`, async () => {
      const snapshotsBefore = liveSnapshots();
      const [plain, json] = await Promise.all([
        run(c.name, ['snapshot', '1001'], c.env),
        run(c.name, ['snapshot', '1002', '--json'], c.env),
      ]);
      expect(liveSnapshots()).toEqual(snapshotsBefore);
      expect(`${plain.stdout}${plain.stderr}`).toContain(c.variable);
      expect(`${plain.stdout}${plain.stderr}`).toContain(c.status);
      expect(json.stdout).toContain(c.variable);
      expect.soft(plain.code, `plain: ${plain.stdout}${plain.stderr}`).toBe(4);
      expect.soft(json.code, `json: ${json.stdout}`).toBe(4);
      // Tidy up with the right token: a saga a refused run left resumable must not meet the next test's runs.
      const tidy = await run('tidy', ['saga', 'resume', '--all']);
      expect([0, 1, 5]).toContain(tidy.code);
    });
  }

  it('saga list/show/start/resume/cancel and reconcile, plain and --json, success and failure: no token', async () => {
    const detached = async (droplet: string): Promise<string> => {
      const r = await run('snapshot --detach', ['snapshot', droplet, '--detach', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { sagaId: string }[])[0]?.sagaId ?? '';
    };
    const [toResume, toCancel] = await Promise.all([detached('1001'), detached('1002')]);
    const [list, listJson, show, showJson, prefix] = await Promise.all([
      run('saga list', ['saga', 'list']),
      run('saga list --json', ['saga', 'list', '--json']),
      run('saga show', ['saga', 'show', toResume]),
      run('saga show --json', ['saga', 'show', toResume, '--json']),
      run('saga show unknown', ['saga', 'show', 'ffffffff']),
    ]);
    for (const r of [list, listJson, show, showJson]) expect(r.code, r.stderr).toBe(0);
    expect(prefix.code).toBe(2);

    const [resumed, cancelled] = await Promise.all([
      run('saga resume --json', ['saga', 'resume', toResume, '--json'], {
        ARCADIA_PROVISIONING_TOKEN: TOKEN,
        ARCADIA_READ_TOKEN: READ_ONLY,
      }),
      run('saga cancel', ['saga', 'cancel', toCancel]),
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const cancelAgain = await run('saga cancel (finished)', ['saga', 'cancel', toCancel, '--json']);
    expect(cancelAgain.code).toBe(2);

    const [smoke, smokeJson, failing] = await Promise.all([
      run('saga start smoke', SMOKE_ARGS(1002)),
      run('saga start noop --json', ['saga', 'start', '--kind', 'test', '--step', 'noop', '--json']),
      run('saga start fail --json', ['saga', 'start', '--kind', 'test', '--step', 'noop', '--step', 'fail', '--json']),
    ]);
    expect(smoke.code, smoke.stderr).toBe(1);
    expect(smokeJson.code, smokeJson.stderr).toBe(0);
    expect(failing.code, failing.stderr).toBe(1);
    const all = await run('saga resume --all --json', ['saga', 'resume', '--all', '--json']);
    expect(all.code, all.stderr).toBe(0);
  });

  it('reconcile: the leak is listed (exit 5), then deleted as a saga (--delete --json): no token', async () => {
    const [listed, listedJson] = await Promise.all([
      run('reconcile', ['reconcile']),
      run('reconcile --json', ['reconcile', '1001', '--json']),
    ]);
    expect(listed.code, listed.stderr).toBe(5);
    expect(listed.stdout).toContain('arcadia-snap-1001-deadbeef');
    expect(listedJson.code).toBe(5);
    const deleted = await run('reconcile --delete --json', ['reconcile', '--tag', 'web', '--delete', '--json'], {
      ARCADIA_PROVISIONING_TOKEN: TOKEN,
      DIGITALOCEAN_ACCESS_TOKEN: undefined,
    });
    expect(deleted.code, deleted.stdout + deleted.stderr).toBe(0);
    const clean = await run('reconcile after delete', ['reconcile']);
    expect(clean.code, clean.stdout).toBe(0);
  });

  it('a resumed saga whose token is rejected: exit 4, no token, and the saga stays resumable', async () => {
    const created = await run('snapshot --detach', ['snapshot', '1001', '--detach', '--json']);
    const sagaId = (JSON.parse(created.stdout) as { sagaId: string }[])[0]?.sagaId ?? '';
    const refused = await run('resume with a wrong token', ['saga', 'resume', sagaId], {
      DIGITALOCEAN_ACCESS_TOKEN: WRONG,
    });
    const after = readSagas(home).find((s) => s.id === sagaId);
    // Finish it with the right token whatever happened, so the ledger is left tidy.
    const fixed = await run('resume with the right token', ['saga', 'resume', sagaId, '--json']);
    expect.soft(refused.code, `${refused.stdout}${refused.stderr}`).toBe(4);
    expect(`${refused.stdout}${refused.stderr}`).toContain('DIGITALOCEAN_ACCESS_TOKEN');
    // A token problem is not a failed compensation: nothing was made, and fixing the token must be enough.
    expect(after?.status, `after the refused resume: ${refused.stdout}${refused.stderr}`).not.toBe(
      'compensation_failed',
    );
    expect(['pending', 'running']).toContain(after?.status);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
  });

  it('lost connections and refused API URLs echo no token', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
      });
    });
    const env = { ...NO_EGRESS, ARCADIA_HTTP_RETRIES: '0' };
    const [lost, userinfo, query] = await Promise.all([
      run('nothing listening', ['snapshot', '1001', '--json'], {
        ...env,
        ARCADIA_API_URL: `http://127.0.0.1:${closedPort}`,
      }),
      run('token in URL userinfo', ['snapshot', '1001'], {
        ...env,
        ARCADIA_API_URL: `http://arcadia:${TOKEN}@127.0.0.1:${closedPort}/`,
      }),
      run('token in URL query', ['snapshot', '1001'], {
        ...env,
        ARCADIA_API_URL: `https://api.example.invalid/v2?token=${TOKEN}`,
      }),
    ]);
    expect(lost.code).not.toBe(0);
    expect(lost.stdout).toMatch(/"error"/);
    for (const r of [userinfo, query]) {
      expect(r.code, r.stderr).toBe(4);
      expect(expectOneErrorLine(r, 'URL refused')).toContain('ARCADIA_API_URL');
    }
  });

  it('a token pasted into ARCADIA_API_URL by mistake is not echoed back', async () => {
    // Swapped lines in a token.env are a plausible mistake; the refusal goes to cron mail and log files.
    const r = await arcadia(['snapshot', '1001'], envWith({ ...NO_EGRESS, ARCADIA_API_URL: TOKEN }));
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('ARCADIA_API_URL');
    expect(leaksIn(r.stderr), r.stderr).toEqual([]);
  });

  it(
    'afterwards, the ledger (with any WAL/shm) and every lock file hold no token; files owner-only, folders ' + '0700',
    () => {
      expect(outputs.length).toBeGreaterThan(25);
      const files = filesUnder(home);
      expect(files.map((f) => f.path)).toContain(join(home, 'arcadia.db'));
      for (const { path, bytes } of files) {
        expect(leaksIn(bytes), path).toEqual([]);
        expect(mode(path).toString(8), path).toBe('600');
      }
      expect(mode(home).toString(8)).toBe('700');
      expect(mode(join(home, 'locks')).toString(8)).toBe('700');
      for (const entry of readdirSync(join(home, 'locks')))
        expect(statSync(join(home, 'locks', entry)).mode & 0o077, entry).toBe(0);
    },
  );
});
