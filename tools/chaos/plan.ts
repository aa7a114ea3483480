import type { DropletSeed, FaultConfig, ImageSeed, SimulatorConfigInput } from '../../src/simulator/index.js';
import { Random } from './random.js';

/**
 * One chaos run, decided by its seed: what arcadia is asked to do, how the simulator misbehaves, and how the
 * processes are killed. `planRun(seed)` depends on nothing else (but for seeded images being days older than now),
 * so `--seed S --runs 1` replays the same plan; where timed kills land and how requests interleave still depend on
 * the machine, so a replay reproduces a timing-dependent finding often, not always.
 */

export const SCENARIOS = ['single', 'batch', 'smoke', 'restore', 'drill'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/**
 * How a process is crashed: not at all, SIGKILL after a delay (from spawn, so during start-up and ledger opening,
 * or from its first request to the simulator, so mid-saga), or at a named failpoint (its Nth hit).
 */
export type KillPlan =
  | { kind: 'none' }
  | { kind: 'timer'; from: 'spawn' | 'first-request'; afterMs: number }
  | { kind: 'failpoint'; point: string; nth: number };

/** A second process that competes with the first while it runs (the one-owner promise). */
export type Intruder =
  | { kind: 'none' }
  /** the same command again, as an overlapping cron run would */
  | { kind: 'same-command'; afterMs: number }
  /** `saga resume --all`, which must leave a live owner's saga alone */
  | { kind: 'resume-all'; afterMs: number }
  /** `saga cancel` of the saga in flight: must end cancelled with nothing left behind */
  | { kind: 'cancel'; afterMs: number }
  /** someone takes a snapshot of a target droplet in the control panel: arcadia must neither adopt nor delete it */
  | { kind: 'foreign-snapshot'; afterMs: number; dropletId: number }
  /**
   * someone creates a droplet from the same snapshot in the control panel while a restore or drill runs: arcadia
   * must neither adopt nor delete it
   */
  | { kind: 'foreign-droplet'; afterMs: number; snapshotId: number }
  /**
   * the first command is SIGSTOPped `afterMs` after its first request (often with a request queued in its pacer or
   * a retry wait), `saga resume --all` takes over once its lock is stale, then the first is SIGCONTed: it must not
   * send one more request for a saga it lost
   */
  | { kind: 'pause-takeover'; afterMs: number };

export interface RunPlan {
  seed: number;
  scenario: Scenario;
  /** The main arcadia command (arguments after the binary). */
  args: string[];
  /**
   * Run first, neither killed nor intruded on, then resumed to its end (a drill needs snapshot sagas that
   * succeeded); faults apply to it too.
   */
  prelude?: string[];
  sim: SimulatorConfigInput;
  /** Added to every arcadia process's environment (timings, rate budget). */
  env: Record<string, string>;
  kill: KillPlan;
  intruder: Intruder;
  /** How the first `saga resume --all` afterwards is crashed too. */
  resumeKill: KillPlan;
  /** Short names of what the simulator injects, for the per-run line. */
  labels: string[];
}

/** The tag batch runs select; the bystander droplet does not carry it. */
export const CHAOS_TAG = 'chaos';
export const SINGLE_DROPLET = 1001;
export const SMOKE_DROPLET = 1002;
/** Never selected by any run: anything done to its images is a violation. */
export const BYSTANDER_DROPLET = 1009;
/** A snapshot made outside arcadia (not named like arcadia's) that restore runs restore. */
export const GOLDEN_SNAPSHOT = 880_001;

export const SMOKE_ARGS = (dropletId: number): string[] => [
  'saga',
  'start',
  '--kind',
  'test',
  '--step',
  'create_droplet_snapshot',
  '--step',
  'fail',
  '--input',
  `droplet_provider_id=${dropletId}`,
  '--json',
];

/** Where a snapshot saga's own process can die (src/sagas/snapshot, src/engine/runner.ts). */
const FORWARD_POINTS = [
  'snapshot.before-post',
  'snapshot.after-post',
  'snapshot.after-checkpoint',
  'action.polled',
  'snapshot.after-complete',
  'snapshot.lookup-missed',
  'runner.step-returned',
  'runner.step-recorded',
] as const;
const COMPENSATION_POINTS = ['snapshot.compensate-before-delete', 'snapshot.compensate-after-delete'] as const;
/** Around the volume-snapshot and transfer POSTs (src/sagas/snapshot/volume-snapshot-step.ts, copy-step.ts). */
const VOLUME_POINTS = [
  'volume-snapshot.before-post',
  'volume-snapshot.after-post',
  'volume-snapshot.after-checkpoint',
  'volume-snapshot.compensate-before-delete',
] as const;
const TRANSFER_POINTS = ['transfer.before-post', 'transfer.after-post', 'transfer.after-checkpoint'] as const;
/** Where a restore's or drill's process can die (src/sagas/restore). */
const RESTORE_POINTS = [
  'restore.before-post',
  'restore.after-post',
  'restore.after-checkpoint',
  'restore.lookup-missed',
  'restore.wait-polled',
  'runner.step-returned',
  'runner.step-recorded',
] as const;
const DRILL_DELETE_POINTS = ['restore.delete-before', 'restore.delete-after'] as const;
const RESTORE_COMPENSATION_POINTS = ['restore.compensate-before-delete', 'restore.compensate-after-delete'] as const;

/** The restore rollback smoke: a test saga of the restore steps and `fail`, always rolled back. */
export const RESTORE_SMOKE_ARGS = (snapshotId: number): string[] => [
  'saga',
  'start',
  '--kind',
  'test',
  '--step',
  'create_droplet_from_snapshot',
  '--step',
  'wait_droplet_active',
  '--step',
  'fail',
  '--input',
  `snapshot_id=${snapshotId}`,
  '--input',
  'size_slug=s-1vcpu-1gb',
  '--input',
  'region=nyc3',
  '--json',
];
/** Where the batch's fleet watcher holds answers its sagas have not recorded (src/sagas/snapshot/fleet-watcher.ts). */
const WATCHER_POINTS = ['watcher.actions-listed', 'watcher.snapshots-listed'] as const;

const DAY_MS = 86_400_000;
/** ARCADIA_LOCK_STALE_MS in runs that pause the first command. */
export const PAUSE_STALE_MS = 900;

function hex8(random: Random): string {
  return Array.from({ length: 8 }, () => random.int(0, 15).toString(16)).join('');
}

/** Seeded images are days old, in whole hours, so their order never hangs on a tie. */
function iso(msAgo: number): string {
  return new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - msAgo).toISOString();
}

/**
 * Images nobody must touch (a manual snapshot, a name that only looks like arcadia's, a backup) and, when the run
 * prunes, older arcadia snapshots for retention to work on.
 */
function seededImages(
  random: Random,
  dropletId: number,
  oldArcadia: number,
): { snapshots: ImageSeed[]; backups: ImageSeed[] } {
  const snapshots: ImageSeed[] = [
    { name: `droplet-${dropletId}-manual-before-upgrade`, createdAt: iso(random.int(3, 30) * DAY_MS) },
    { name: `arcadia-snap-${dropletId}`, createdAt: iso(random.int(3, 30) * DAY_MS) },
    { name: `arcadia-snap-${dropletId}-NOTHEX99`, createdAt: iso(random.int(3, 30) * DAY_MS) },
  ];
  for (let i = 0; i < oldArcadia; i++) {
    const label = random.chance(0.3) ? '-nightly' : '';
    snapshots.push({
      name: `arcadia-snap-${dropletId}-${hex8(random)}${label}`,
      createdAt: iso((i + 1) * DAY_MS + random.int(0, 23) * 3_600_000),
    });
  }
  return { snapshots, backups: [{ name: `droplet-${dropletId} weekly backup`, createdAt: iso(2 * DAY_MS) }] };
}

function droplet(random: Random, id: number, tags: string[], oldArcadia: number): DropletSeed {
  return { id, name: `chaos-${id}`, tags, disk: random.pick([25, 50, 80]), ...seededImages(random, id, oldArcadia) };
}

function killPlan(
  random: Random,
  points: readonly string[],
  maxDelayMs: number,
  maxNth: number,
  weights: { none: number; timer: number; failpoint: number },
): KillPlan {
  const kind = random.weighted([
    [weights.none, 'none'],
    [weights.timer, 'timer'],
    [weights.failpoint, 'failpoint'],
  ] as const);
  if (kind === 'timer')
    return random.chance(0.15)
      ? { kind, from: 'spawn', afterMs: random.int(0, 700) }
      : { kind, from: 'first-request', afterMs: random.int(0, maxDelayMs) };
  if (kind === 'failpoint') return { kind, point: random.pick(points), nth: random.int(1, maxNth) };
  return { kind: 'none' };
}

export function describeKill(kill: KillPlan): string {
  if (kill.kind === 'timer')
    return `SIGKILL ${kill.afterMs} ms after ${kill.from === 'spawn' ? 'spawn' : 'its first request'}`;
  if (kill.kind === 'failpoint') return `failpoint ${kill.point}${kill.nth > 1 ? `@${kill.nth}` : ''}`;
  return 'no kill';
}

export function planRun(seed: number, scenarios: readonly Scenario[] = SCENARIOS): RunPlan {
  const random = new Random(seed);
  const scenario = random.pick(scenarios);
  const labels: string[] = [];

  const keep = scenario !== 'smoke' && random.chance(0.4) ? random.int(1, 3) : undefined;
  const oldArcadia = keep !== undefined ? random.int(0, 4) : random.int(0, 1);
  const powerOff = scenario === 'single' && random.chance(0.2);

  // Droplets: the run's targets with seeded images, and a bystander nobody selects.
  const droplets: DropletSeed[] = [droplet(random, BYSTANDER_DROPLET, ['other'], 2)];
  let fleet: SimulatorConfigInput['fleet'] = null;
  let args: string[];
  let dropletCount = 1;
  if (scenario === 'batch') {
    const explicit = random.int(2, 3);
    for (let i = 0; i < explicit; i++) droplets.push(droplet(random, 3001 + i, [CHAOS_TAG, 'web'], oldArcadia));
    const fleetCount = random.int(0, 3);
    if (fleetCount > 0) fleet = { count: fleetCount, tag: CHAOS_TAG, firstId: 5001 };
    dropletCount = explicit + fleetCount;
    args = ['snapshot', '--tag', CHAOS_TAG, '--concurrency', String(random.int(1, 4)), '--json'];
  } else if (scenario === 'drill') {
    const count = random.int(2, 3);
    for (let i = 0; i < count; i++) droplets.push(droplet(random, 3001 + i, [CHAOS_TAG, 'web'], oldArcadia));
    dropletCount = count;
    args = ['drill', '--tag', CHAOS_TAG, '--sample', String(random.int(1, count)), '--concurrency', '2', '--json'];
  } else {
    droplets.push(
      droplet(random, SINGLE_DROPLET, ['web'], oldArcadia),
      droplet(random, SMOKE_DROPLET, ['web'], oldArcadia),
    );
    args = scenario === 'smoke' ? SMOKE_ARGS(SMOKE_DROPLET) : ['snapshot', String(SINGLE_DROPLET), '--json'];
  }
  const prelude = scenario === 'drill' ? ['snapshot', '--tag', CHAOS_TAG, '--concurrency', '3', '--json'] : undefined;
  if (scenario === 'restore') {
    // A console snapshot of the single droplet (not named like arcadia's, so nothing else acts on it).
    droplets[1]?.snapshots?.push({ id: GOLDEN_SNAPSHOT, name: 'golden-image', regions: ['nyc3', 'ams3'] });
    args = random.chance(0.35) ? RESTORE_SMOKE_ARGS(GOLDEN_SNAPSHOT) : ['restore', String(GOLDEN_SNAPSHOT), '--json'];
  }
  if (scenario === 'single' || scenario === 'batch') {
    if (random.chance(0.3)) args.push('--label', 'chaos');
    if (keep !== undefined) args.push('--keep', String(keep));
    if (powerOff) args.push('--power-off');
  }

  // Faults: each kind independently, so runs see them alone and together.
  const faults: Partial<FaultConfig> = { seed: (seed * 7919 + 17) >>> 0 };
  if (random.chance(0.55)) {
    faults.serverErrorRate = random.between(0.04, 0.15);
    faults.serverErrorBurstLength = random.int(1, 4);
    labels.push(`5xx bursts(${faults.serverErrorRate}x${faults.serverErrorBurstLength})`);
  }
  if (random.chance(0.45)) {
    faults.dropPostReplyRate = random.between(0.3, 0.8);
    labels.push('lost POST replies');
  }
  if (random.chance(0.35)) {
    faults.postServerErrorAfterEffectRate = random.between(0.3, 0.8);
    labels.push('500s after POST effect');
  }
  if (random.chance(0.2)) {
    faults.dropNextDelete = random.int(1, 2);
    labels.push('lost DELETE replies');
  }
  let httpTimeoutMs = 3000;
  if (random.chance(0.4)) {
    faults.slowReplyRate = random.between(0.1, 0.3);
    faults.slowReplyMs = random.int(100, 700);
    // Sometimes slower than the client waits: a timed-out POST is a lost reply.
    if (random.chance(0.3)) httpTimeoutMs = random.int(250, Math.max(260, faults.slowReplyMs - 50));
    labels.push(`slow replies(${faults.slowReplyMs}ms${httpTimeoutMs < 3000 ? `, timeout ${httpTimeoutMs}ms` : ''})`);
  }
  // An errored power-on cannot be undone by retrying: with --power-off it would end compensation_failed by design.
  if (!powerOff && random.chance(0.25)) {
    faults.erroredActionRate = random.between(0.1, 0.4);
    labels.push('errored actions');
  }

  const env: Record<string, string> = {
    ARCADIA_POLL_INTERVAL_MS: '40',
    ARCADIA_LOOKUP_INTERVAL_MS: '40',
    ARCADIA_LOOKUP_ATTEMPTS: '75',
    ARCADIA_RETRY_BASE_MS: '20',
    ARCADIA_HTTP_TIMEOUT_MS: String(httpTimeoutMs),
    ARCADIA_LOCK_STALE_MS: '3000',
    ARCADIA_SHUTDOWN_TIMEOUT_MS: '400',
  };

  let rateLimitPerMinute: number | null = null;
  let burstWindowMs = 60_000;
  if (random.chance(0.35)) {
    // A binding limit over a short window; the client's budget sometimes above it, so 429s really come.
    burstWindowMs = random.int(800, 1500);
    rateLimitPerMinute = random.int(6, 20);
    if (random.chance(0.75)) {
      const budget = Math.round(rateLimitPerMinute * random.between(0.8, 2.5));
      env.ARCADIA_RATE_LIMIT_PER_MINUTE = String(Math.max(3, budget));
      env.ARCADIA_RATE_LIMIT_WINDOW_MS = String(burstWindowMs);
    }
    // Without a client budget the client learns the limit from 429s alone.
    labels.push(
      `rate limit ${rateLimitPerMinute}/${burstWindowMs}ms (client ${env.ARCADIA_RATE_LIMIT_PER_MINUTE ?? 'unpaced'})`,
    );
  }

  const longLag = random.chance(0.4);
  const snapshotListingLagMs = longLag ? random.int(900, 2000) : random.int(50, 400);
  if (longLag) labels.push(`listing lag ${snapshotListingLagMs}ms`);

  const sim: SimulatorConfigInput = {
    droplets,
    fleet,
    actionDurationMs: { snapshot: random.int(150, 700), shutdown: 100, power_off: 60, power_on: 80 },
    actionJitterMs: random.int(0, 200),
    snapshotListingLagMs,
    deletedListingLingerMs: random.int(50, 1200),
    unlockLagMs: 40,
    powerStatusLagMs: 30,
    rateLimitPerMinute,
    burstWindowMs,
    rateLimitPerHour: null,
    maxPerPage: random.pick([3, 25, 200]),
    faults,
  };

  // Kills: a batch lives longer and passes each failpoint once per droplet.
  const points = killPoints(scenario, args);
  const maxDelay = scenario === 'batch' ? 400 + 300 * dropletCount : 1200;
  const kill = killPlan(random, points, maxDelay, scenario === 'batch' ? Math.min(3, dropletCount) : 2, {
    none: 15,
    timer: 45,
    failpoint: 40,
  });
  const compensation =
    scenario === 'restore' || scenario === 'drill' ? RESTORE_COMPENSATION_POINTS : COMPENSATION_POINTS;
  const resumeKill = killPlan(random, [...points, ...compensation], 900, 1, {
    none: 60,
    timer: 25,
    failpoint: 15,
  });

  const target =
    scenario === 'batch' || scenario === 'drill' ? 3001 : scenario === 'smoke' ? SMOKE_DROPLET : SINGLE_DROPLET;
  const intruder: Intruder = random.weighted<Intruder>([
    [50, { kind: 'none' }],
    [10, { kind: 'same-command', afterMs: random.int(100, 1200) }],
    [10, { kind: 'resume-all', afterMs: random.int(100, 1200) }],
    [10, { kind: 'cancel', afterMs: random.int(300, 1500) }],
    scenario === 'restore' || scenario === 'drill'
      ? [10, { kind: 'foreign-droplet', afterMs: random.int(0, 1200), snapshotId: GOLDEN_SNAPSHOT }]
      : [10, { kind: 'foreign-snapshot', afterMs: random.int(0, 1200), dropletId: target }],
    [30, { kind: 'pause-takeover', afterMs: random.int(0, 800) }],
  ]);
  // A paused owner is taken over only once its lock is stale: keep that short, so the pause costs a second, not
  // three (a running owner on this host is never taken over for staleness, so a short stale time is safe; with two
  // hosts on PostgreSQL the other host's only process while the first command lives is the successor of the pause).
  if (intruder.kind === 'pause-takeover') env.ARCADIA_LOCK_STALE_MS = String(PAUSE_STALE_MS);
  // A timed SIGKILL would mostly land before the pause and leave nothing to pause; failpoint kills stay.
  let firstKill: KillPlan = intruder.kind === 'pause-takeover' && kill.kind === 'timer' ? { kind: 'none' } : kill;

  // Volumes and copies, drawn after everything else so every seed's earlier draws stay what they were.
  const extraPoints = addVolumesAndCopies(random, scenario, droplets, args, labels);
  sim.imageActionDurationMs = { transfer: random.int(100, 900) };
  // One saga per droplet per run, and intruders may run a second: DigitalOcean's 10 minutes would refuse it
  sim.volumeSnapshotIntervalMs = 0;
  env.ARCADIA_VOLUME_SNAPSHOT_INTERVAL_MS = '0';
  if (extraPoints.length > 0 && firstKill.kind === 'failpoint' && random.chance(0.6)) {
    firstKill = { kind: 'failpoint', point: random.pick(extraPoints), nth: random.int(1, 2) };
  }

  // The fleet watcher, drawn last for the same reason: batches killed while it holds answers, listings out of order.
  if (scenario === 'batch') {
    if (firstKill.kind === 'failpoint' && random.chance(0.5)) {
      firstKill = { kind: 'failpoint', point: random.pick(WATCHER_POINTS), nth: random.int(1, 3) };
    }
    if (random.chance(0.4)) {
      faults.shuffledActionListingRate = random.between(0.3, 1);
      labels.push('action listings shuffled');
    }
  }

  if (scenario === 'restore' || scenario === 'drill') addRestoreTimings(random, sim, droplets, labels);
  // Not with a pause: a request whose fence check passed just before the SIGSTOP is sent after the SIGCONT (the
  // check and the send are not atomic), and a quota that holds requests in the pacer makes that window likely; the
  // pause scenario keeps testing the fence on its own.
  if (intruder.kind !== 'pause-takeover') addHourlyQuota(random, sim, env, labels);

  return {
    seed,
    scenario,
    args,
    ...(prelude ? { prelude } : {}),
    sim,
    env,
    kill: firstKill,
    intruder,
    resumeKill,
    labels,
  };
}

/** Where the main command of a scenario can be killed: the steps it runs. */
function killPoints(scenario: Scenario, args: string[]): readonly string[] {
  if (scenario === 'smoke') return [...FORWARD_POINTS.slice(0, 5), ...COMPENSATION_POINTS];
  if (scenario === 'drill') return [...RESTORE_POINTS, ...DRILL_DELETE_POINTS];
  if (scenario === 'restore')
    return args.includes('fail') ? [...RESTORE_POINTS.slice(0, 4), ...RESTORE_COMPENSATION_POINTS] : RESTORE_POINTS;
  return FORWARD_POINTS;
}

/**
 * How long a created droplet takes to become active, how long a GET answers 404 right after the create, how long a
 * deleted droplet lingers; drill runs also get the golden snapshot, for the foreign-droplet intruder.
 */
function addRestoreTimings(random: Random, sim: SimulatorConfigInput, droplets: DropletSeed[], labels: string[]): void {
  sim.dropletCreateMs = random.int(150, 900);
  sim.createdDropletNotFoundMs = random.chance(0.5) ? random.int(50, 600) : 0;
  sim.deletedDropletLingerMs = random.int(50, 1200);
  if (sim.createdDropletNotFoundMs > 0) labels.push(`GET 404 ${sim.createdDropletNotFoundMs}ms after create`);
  const first = droplets.find((d) => d.id === 3001);
  if (first) first.snapshots?.push({ id: GOLDEN_SNAPSHOT, name: 'golden-image', regions: ['nyc3'] });
}

/**
 * Some runs get an hourly quota small enough to bind, over an "hour" of a few seconds, a reserve to keep, and
 * sometimes a background consumer sharing the token; drawn last, so every seed's earlier draws stay what they were.
 */
function addHourlyQuota(
  random: Random,
  sim: SimulatorConfigInput,
  env: Record<string, string>,
  labels: string[],
): void {
  if (!random.chance(0.3)) return;
  const hourlyWindowMs = random.int(2000, 4000);
  const perHour = random.int(60, 160);
  const reserve = random.pick(['10', '20%', '30']);
  const background = random.chance(0.5) ? random.int(5, 30) : 0;
  sim.rateLimitPerHour = perHour;
  sim.hourlyWindowMs = hourlyWindowMs;
  if (background > 0) sim.backgroundConsumer = { requestsPerHour: background };
  env.ARCADIA_RATE_RESERVE = reserve;
  env.ARCADIA_RATE_QUOTA_WINDOW_MS = String(hourlyWindowMs);
  labels.push(
    `hourly quota ${perHour}/${hourlyWindowMs}ms, reserve ${reserve}` +
      (background > 0 ? `, background ${background}` : ''),
  );
}

/**
 * Some single and smoke runs snapshot the droplet's volumes (`--with-volumes`, or the step in a smoke saga) and copy
 * the snapshot (`--copy-to`); returns the failpoints that then exist.
 */
function addVolumesAndCopies(
  random: Random,
  scenario: Scenario,
  droplets: DropletSeed[],
  args: string[],
  labels: string[],
): string[] {
  if (scenario !== 'single' && scenario !== 'smoke') return [];
  const target = droplets.find((d) => d.id === (scenario === 'smoke' ? SMOKE_DROPLET : SINGLE_DROPLET));
  const points: string[] = [];
  const withVolumes = target !== undefined && random.chance(0.4);
  const copyTo = random.chance(0.35) ? random.pick(['ams3', 'lon1', 'sfo3']) : undefined;
  if (withVolumes && target) {
    target.volumes = Array.from({ length: random.int(1, 2) }, (_, i) => ({ name: `chaos-vol-${i + 1}` }));
    labels.push(`${target.volumes.length} volume(s)`);
    points.push(...VOLUME_POINTS);
  }
  if (copyTo !== undefined) {
    labels.push(`copy to ${copyTo}`);
    points.push(...TRANSFER_POINTS);
  }
  if (scenario === 'smoke') {
    const steps = [
      ...(withVolumes ? ['--step', 'create_volume_snapshots'] : []),
      ...(copyTo !== undefined ? ['--step', 'copy_snapshot_to_regions'] : []),
    ];
    args.splice(args.indexOf('fail') - 1, 0, ...steps);
    if (copyTo !== undefined) args.splice(args.indexOf('--json'), 0, '--input', `copy_to=${copyTo}`);
  } else {
    if (withVolumes) args.push('--with-volumes');
    if (copyTo !== undefined) args.push('--copy-to', copyTo);
  }
  return points;
}
