import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { ChaosOptions } from './chaos.js';
import { CHAOS_DATABASE_URL_VARIABLE } from './database.js';
import { SCENARIOS, type Scenario } from './plan.js';

export const SHORT_RUNS = 16;
export const LONG_RUNS = 200;
/** `--short` is seeded by a constant, so CI sees the same plans every time. */
export const SHORT_SEED = 1;

export const USAGE =
  `Usage: npm run chaos -- [--short | --long] [--runs N] [--seed S] [--concurrency N] [--scenario LIST] ` +
  `[--postgres] [--strict] [--json] [--quiet] [--keep-homes]

Many seeded runs of arcadia (single and batch snapshots, the rollback smoke saga) against the built-in simulator,
with SIGKILLs (timed and at failpoints), SIGSTOP/SIGCONT around a takeover, lost POST replies, 5xx bursts, 429s,
slow replies and long listing lags;
after each, \`saga resume --all\` until nothing is left, then every promise of ARCHITECTURE.md is checked.
Exits 1 if any run broke one, printing each violation with the seed that replays it.

  --short            ${SHORT_RUNS} runs from seed ${SHORT_SEED} (the default; what CI runs)
  --long             ${LONG_RUNS} runs from a seed taken from the clock (printed)
  --runs N           this many runs instead
  --seed S           run i uses seed S+i; a violation's seed replays its run with --seed S --runs 1
  --concurrency N    runs at once (default: the number of CPUs, at most 4)
  --scenario LIST    only these of ${SCENARIOS.join(',')} (comma-separated)
  --postgres         every run on its own fresh PostgreSQL database with two hosts (chaos-a runs the command,
                     chaos-b the competing processes, the resumes alternate): on the server of the superuser URL
                     in ${CHAOS_DATABASE_URL_VARIABLE} when set, else on a private one started for the chaos
                     run and stopped after
  --strict           also fail on sagas that ended compensation_failed (listed under "attention" otherwise)
  --json             print the summary as JSON on stdout (no per-run lines)
  --quiet            no per-run lines
  --keep-homes       keep every run's ledger and simulator dump, not only failing ones' (with --postgres the run's
                     database too, named in its folder; a private server's databases go when it stops)
`;

export class ChaosUsageError extends Error {}

export interface ChaosCliOptions extends ChaosOptions {
  json: boolean;
  quiet: boolean;
  help: boolean;
  /** Whether the seed was chosen by the clock (printed so the run can be repeated). */
  seedFromClock: boolean;
}

function positiveInt(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || !Number.isSafeInteger(Number(raw)))
    throw new ChaosUsageError(`${name} must be a whole number of at least ${min}, got "${raw}"`);
  return Number(raw);
}

export function parseChaosArgs(argv: string[]): ChaosCliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        short: { type: 'boolean', default: false },
        long: { type: 'boolean', default: false },
        runs: { type: 'string' },
        seed: { type: 'string' },
        concurrency: { type: 'string' },
        scenario: { type: 'string' },
        strict: { type: 'boolean', default: false },
        postgres: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        'keep-homes': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new ChaosUsageError(error instanceof Error ? error.message : String(error));
  }
  const v = parsed.values;
  if (v.short && v.long) throw new ChaosUsageError('give --short or --long, not both');
  const scenarios = (v.scenario ?? SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = scenarios.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0 || scenarios.length === 0)
    throw new ChaosUsageError(`--scenario takes ${SCENARIOS.join(', ')}; got "${v.scenario ?? ''}"`);
  const explicitSeed = positiveInt('--seed', v.seed, 0);
  const seedFromClock = explicitSeed === undefined && v.long;
  return {
    runs: positiveInt('--runs', v.runs, 1) ?? (v.long ? LONG_RUNS : SHORT_RUNS),
    seed: explicitSeed ?? (seedFromClock ? Date.now() % 1_000_000_000 : SHORT_SEED),
    concurrency: positiveInt('--concurrency', v.concurrency, 1) ?? Math.max(1, Math.min(4, cpus().length)),
    scenarios: [...new Set(scenarios)] as Scenario[],
    keepAll: v['keep-homes'],
    strict: v.strict,
    postgres: v.postgres,
    json: v.json,
    quiet: v.quiet,
    help: v.help,
    seedFromClock,
  };
}
