import type { DropletActionType, ImageActionType } from '../digitalocean/types.js';

export const DEFAULT_SIMULATOR_TOKEN = 'arcadia-simulator-token';

/** A snapshot or backup that exists before the simulator starts. */
export interface ImageSeed {
  id?: number;
  name: string;
  /** ISO time; default one day before start. */
  createdAt?: string;
  sizeGigabytes?: number;
  /** Default the droplet's region only. */
  regions?: string[];
  /** Default the droplet's disk. */
  minDiskSize?: number;
}

/** A volume snapshot that exists before the simulator starts. */
export interface VolumeSnapshotSeed {
  id?: string;
  name: string;
  /** ISO time; default one day before start. */
  createdAt?: string;
}

/** A block-storage volume attached to the droplet that seeds it. */
export interface VolumeSeed {
  /** A UUID; default a generated one. */
  id?: string;
  name?: string;
  /** Size in GiB; default 10. */
  sizeGigabytes?: number;
  snapshots?: VolumeSnapshotSeed[];
}

export interface DropletSeed {
  id: number;
  name?: string;
  status?: 'active' | 'off';
  tags?: string[];
  /** Disk size in GB; default 25. */
  disk?: number;
  /** Region slug; default nyc3. */
  region?: string;
  sizeSlug?: string;
  createdAt?: string;
  snapshots?: ImageSeed[];
  backups?: ImageSeed[];
  /** Attached volumes (in the droplet's region). */
  volumes?: VolumeSeed[];
}

/** Many identical tagged droplets: ids firstId, firstId+1, ..., named `<namePrefix>-<n>`. */
export interface FleetSeed {
  count: number;
  tag: string;
  firstId?: number;
  namePrefix?: string;
  status?: 'active' | 'off';
  disk?: number;
  region?: string;
}

/** The next `count` requests (optionally only of one method) get this error status instead of being served. */
export interface FailNextRequests {
  status: number;
  count: number;
  method?: 'GET' | 'POST' | 'DELETE';
  /** Sent as `retry-after` (seconds) when set. */
  retryAfterSeconds?: number;
  /** Send an HTML body instead of DigitalOcean's JSON error, as a proxy in front of it would. */
  nonJson?: boolean;
}

export interface SlowNextRequests {
  count: number;
  ms: number;
}

/** Faults: rates are per request in [0, 1], drawn from a PRNG seeded by `seed`, so a run can be replayed. */
export interface FaultConfig {
  seed: number;
  /** Chance that a request starts a burst of 5xx (some with non-JSON bodies), served before any effect. */
  serverErrorRate: number;
  /** Requests in one burst, the first included. */
  serverErrorBurstLength: number;
  slowReplyRate: number;
  slowReplyMs: number;
  /** Chance that a successful action POST takes effect and then the connection is destroyed without a reply. */
  dropPostReplyRate: number;
  /** Chance that a successful action POST takes effect and then answers 500. */
  postServerErrorAfterEffectRate: number;
  /** Chance that an action ends `errored` (an errored snapshot makes no snapshot). */
  erroredActionRate: number;
  /** Chance that one page of GET /v2/actions comes from a shuffled list (the order is undocumented upstream). */
  shuffledActionListingRate: number;
  /**
   * One-shot: drop the replies of the next N creating POSTs (droplet and image actions, volume snapshots, droplet
   * creates) after applying them.
   */
  dropNextPost: number;
  /** One-shot: drop the replies of the next N DELETEs (snapshots, volume snapshots, droplets) after deleting. */
  dropNextDelete: number;
  /** One-shot: answer the next N creating POSTs with 500 after applying them. */
  serverErrorAfterNextPost: number;
  /** One-shot: the next N actions created end `errored`. */
  errorNextActions: number;
  failNextRequests: FailNextRequests | null;
  slowNextRequests: SlowNextRequests | null;
}

export interface SimulatorConfig {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Accepted for every request. */
  tokens: string[];
  /** Accepted for GET only; writes get 403. */
  readOnlyTokens: string[];
  droplets: DropletSeed[];
  fleet: FleetSeed | FleetSeed[] | null;
  /** Per action type; the simulator's clock decides when an action completes. */
  actionDurationMs: Record<DropletActionType, number>;
  /** Extra snapshot time per GB of disk, so bigger droplets take longer. */
  snapshotMsPerGb: number;
  /** Up to this much is added to each action's duration (seeded). */
  actionJitterMs: number;
  /** A completed snapshot appears in listings (and the droplet's snapshot_ids) only this long after completing. */
  snapshotListingLagMs: number;
  /** A deleted snapshot still shows in listings this long, though GET and DELETE on it say 404. */
  deletedListingLingerMs: number;
  /** The droplet stays locked this long after an action completes. */
  unlockLagMs: number;
  /** `status` flips active/off this long after a power action completes. */
  powerStatusLagMs: number;
  /** Chance that a shutdown completes but the droplet stays on (shutdown only issues the command). */
  shutdownIgnoredRate: number;
  /** Per token, sliding minute; null turns the limit off. */
  rateLimitPerMinute: number | null;
  /**
   * The burst window `rateLimitPerMinute` counts over: a minute, shortened only so tests can bind the limit in seconds.
   */
  burstWindowMs: number;
  /** Per token, sliding hour; reported in `ratelimit-limit`. null turns the limit off. */
  rateLimitPerHour: number | null;
  faults: FaultConfig;
  /** DigitalOcean's limit of snapshots one volume may have. */
  volumeSnapshotsPerVolume: number;
  /** DigitalOcean allows one snapshot per volume this often (10 minutes). */
  volumeSnapshotIntervalMs: number;
  /** The status either volume limit answers with: undocumented upstream, so tests can try others. */
  volumeLimitStatus: number;
  /** How long an image action (`transfer`, `convert`) runs. */
  imageActionDurationMs: Record<ImageActionType, number>;
  /** A droplet made by `POST /v2/droplets` is `new` and locked this long (plus jitter), then `active`. */
  dropletCreateMs: number;
  /** Right after a create, `GET /v2/droplets/{id}` answers 404 this long (listings show it at once). */
  createdDropletNotFoundMs: number;
  /** A deleted droplet is still listed and found by id this long after its DELETE. */
  deletedDropletLingerMs: number;
  /** per_page is clamped to this: DigitalOcean's 200, lower so a test gets several pages from a few hundred items. */
  maxPerPage: number;
  /** The origin put in `links.pages` URLs; default the simulator's own URL. */
  linkBaseUrl: string | null;
  /** Oldest request-log entries are dropped beyond this many (counters keep counting). */
  requestLogLimit: number;
  /** Epoch-ms clock; inject one to drive time in tests. Not settable from JSON. */
  clock?: () => number;
}

/** What `configure` may change at runtime: droplets are added with addDroplet instead. */
type NestedSettings = 'faults' | 'actionDurationMs' | 'imageActionDurationMs';

export type SimulatorPatch = Partial<Omit<SimulatorConfig, 'droplets' | 'fleet' | NestedSettings>> & {
  faults?: Partial<FaultConfig>;
  actionDurationMs?: Partial<Record<DropletActionType, number>>;
  imageActionDurationMs?: Partial<Record<ImageActionType, number>>;
};

export type SimulatorConfigInput = Partial<Omit<SimulatorConfig, NestedSettings>> & {
  faults?: Partial<FaultConfig>;
  actionDurationMs?: Partial<Record<DropletActionType, number>>;
  imageActionDurationMs?: Partial<Record<ImageActionType, number>>;
};

export const DEFAULT_FAULTS: FaultConfig = {
  seed: 1,
  serverErrorRate: 0,
  serverErrorBurstLength: 1,
  slowReplyRate: 0,
  slowReplyMs: 2000,
  dropPostReplyRate: 0,
  postServerErrorAfterEffectRate: 0,
  erroredActionRate: 0,
  shuffledActionListingRate: 0,
  dropNextPost: 0,
  dropNextDelete: 0,
  serverErrorAfterNextPost: 0,
  errorNextActions: 0,
  failNextRequests: null,
  slowNextRequests: null,
};

/** Three droplets of a small web shop, one with a backup and a snapshot nobody made with arcadia. */
const DEMO_DROPLETS: DropletSeed[] = [
  { id: 3164444, name: 'web-01', tags: ['web', 'env:prod'], disk: 25 },
  { id: 3164445, name: 'web-02', tags: ['web', 'env:prod'], disk: 25 },
  {
    id: 3164446,
    name: 'db-01',
    tags: ['db', 'env:prod'],
    disk: 80,
    backups: [{ name: 'db-01 weekly backup', sizeGigabytes: 12.5 }],
    snapshots: [{ name: 'db-01-before-upgrade', sizeGigabytes: 11.2 }],
  },
];

/** Realistic shapes, demo-fast times: a snapshot takes about 1.5 s, listings lag 300 ms. */
export function defaultSimulatorConfig(): SimulatorConfig {
  return {
    port: 0,
    tokens: [DEFAULT_SIMULATOR_TOKEN],
    readOnlyTokens: [],
    droplets: DEMO_DROPLETS.map((d) => structuredClone(d)),
    fleet: null,
    actionDurationMs: { snapshot: 1500, shutdown: 600, power_off: 300, power_on: 500 },
    snapshotMsPerGb: 0,
    actionJitterMs: 200,
    snapshotListingLagMs: 300,
    deletedListingLingerMs: 300,
    unlockLagMs: 200,
    powerStatusLagMs: 150,
    shutdownIgnoredRate: 0,
    rateLimitPerMinute: 250,
    burstWindowMs: 60_000,
    rateLimitPerHour: 5000,
    faults: { ...DEFAULT_FAULTS },
    volumeSnapshotsPerVolume: 25,
    volumeSnapshotIntervalMs: 600_000,
    volumeLimitStatus: 422,
    imageActionDurationMs: { transfer: 1500, convert: 500 },
    dropletCreateMs: 1500,
    createdDropletNotFoundMs: 200,
    deletedDropletLingerMs: 300,
    maxPerPage: 200,
    linkBaseUrl: null,
    requestLogLimit: 20_000,
  };
}

/**
 * The defaults with `input` over them. The three demo droplets are there only when neither droplets nor a fleet is
 * given.
 */
export function resolveSimulatorConfig(input: SimulatorConfigInput = {}): SimulatorConfig {
  const base = defaultSimulatorConfig();
  const droplets = input.droplets ?? (input.fleet ? [] : base.droplets);
  return applyPatch({ ...base, droplets, fleet: input.fleet ?? null }, input);
}

function defined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** `patch` over `config`; nested faults and durations merge key by key. Droplets and fleets are ignored here. */
export function applyPatch(config: SimulatorConfig, patch: SimulatorPatch): SimulatorConfig {
  const input = patch as SimulatorConfigInput;
  const { droplets: _droplets, fleet: _fleet, faults, actionDurationMs, imageActionDurationMs, ...rest } = input;
  return {
    ...config,
    ...defined(rest),
    actionDurationMs: { ...config.actionDurationMs, ...defined(actionDurationMs ?? {}) },
    imageActionDurationMs: { ...config.imageActionDurationMs, ...defined(imageActionDurationMs ?? {}) },
    faults: { ...config.faults, ...defined(faults ?? {}) },
  };
}
