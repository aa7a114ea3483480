import type { DropletActionType, ImageActionType } from '../digitalocean/types.js';
import type { DropletSeed, FleetSeed, ImageSeed, SimulatorConfig } from './config.js';
import { settleImageActions, type SimImageAction } from './image-actions.js';
import type { DropletCreation, SimAction, SimDroplet, SimImage } from './model.js';
import { VolumeStore } from './volumes.js';

const DAY_MS = 86_400_000;
const FIRST_ACTION_ID = 2_000_000_001;
const FIRST_IMAGE_ID = 150_000_001;
const FIRST_FLEET_ID = 400_000_001;

/** Why an action cannot be created, as DigitalOcean says it. */
export type ActionRefusal = { status: 404 | 422; id: string; message: string };

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Droplets, actions and images, with every visibility rule evaluated at a given instant. */
export class World {
  readonly droplets = new Map<number, SimDroplet>();
  readonly actions = new Map<number, SimAction>();
  readonly images = new Map<number, SimImage>();
  readonly volumes = new VolumeStore();
  readonly imageActions = new Map<number, SimImageAction>();
  /** Deleted droplets past their linger: out of every listing, kept for the state's history. */
  readonly goneDroplets = new Map<number, SimDroplet>();
  private readonly actionsByDroplet = new Map<number, SimAction[]>();
  private nextActionId = FIRST_ACTION_ID;
  private nextImageId = FIRST_IMAGE_ID;

  constructor(
    private readonly config: () => SimulatorConfig,
    /** Seeded randomness for durations, sizes and ignored shutdowns. */
    private readonly random: () => number,
  ) {}

  addDroplet(seed: DropletSeed, now: number): SimDroplet {
    if (this.droplets.has(seed.id)) throw new Error(`simulator: droplet ${seed.id} exists already`);
    const droplet: SimDroplet = {
      id: seed.id,
      name: seed.name ?? `droplet-${seed.id}`,
      initialStatus: seed.status ?? 'active',
      tags: [...(seed.tags ?? [])],
      disk: seed.disk ?? 25,
      region: seed.region ?? 'nyc3',
      sizeSlug: seed.sizeSlug ?? 's-1vcpu-1gb',
      createdAt: seed.createdAt ? Date.parse(seed.createdAt) : now - 30 * DAY_MS,
    };
    this.droplets.set(droplet.id, droplet);
    this.actionsByDroplet.set(droplet.id, []);
    for (const image of seed.snapshots ?? []) this.seedImage(droplet, 'snapshot', image, now);
    for (const image of seed.backups ?? []) this.seedImage(droplet, 'backup', image, now);
    for (const volume of seed.volumes ?? []) this.volumes.addVolume(volume, droplet.id, droplet.region, now);
    return droplet;
  }

  addFleet(fleet: FleetSeed, now: number): SimDroplet[] {
    const first = fleet.firstId ?? Math.max(FIRST_FLEET_ID, ...[...this.droplets.keys()].map((id) => id + 1));
    const prefix = fleet.namePrefix ?? fleet.tag.replace(/[^a-zA-Z0-9-]/g, '-');
    const width = String(fleet.count).length;
    return Array.from({ length: fleet.count }, (_, i) =>
      this.addDroplet(
        {
          id: first + i,
          name: `${prefix}-${String(i + 1).padStart(width, '0')}`,
          tags: [fleet.tag],
          status: fleet.status,
          disk: fleet.disk,
          region: fleet.region,
        },
        now,
      ),
    );
  }

  private seedImage(droplet: SimDroplet, kind: SimImage['kind'], seed: ImageSeed, now: number): void {
    const id = seed.id ?? this.nextImageId++;
    if (this.images.has(id)) throw new Error(`simulator: image ${id} exists already`);
    this.nextImageId = Math.max(this.nextImageId, id + 1);
    const createdAt = seed.createdAt ? Date.parse(seed.createdAt) : now - DAY_MS;
    this.images.set(id, {
      id,
      dropletId: droplet.id,
      kind,
      name: seed.name,
      createdAt,
      completedAt: createdAt,
      listedAt: createdAt,
      deletedAt: null,
      delistAt: null,
      sizeGigabytes: seed.sizeGigabytes ?? round2(droplet.disk * 0.2),
      minDiskSize: seed.minDiskSize ?? droplet.disk,
      regions: seed.regions ? [...seed.regions] : [droplet.region],
      createdByActionId: null,
      createdBy: null,
      deletedBy: null,
    });
  }

  dropletActions(dropletId: number): SimAction[] {
    return this.actionsByDroplet.get(dropletId) ?? [];
  }

  actionStatus(action: SimAction, now: number): 'in-progress' | 'completed' | 'errored' {
    return now >= action.completesAt ? action.outcome : 'in-progress';
  }

  status(droplet: SimDroplet, now: number): 'new' | 'active' | 'off' {
    const create = this.creationActionOf(droplet);
    // `new` until its create completes; an errored create leaves it `new` for good
    if (create && (now < create.completesAt || create.outcome === 'errored')) return 'new';
    let status = droplet.initialStatus;
    for (const action of this.dropletActions(droplet.id)) {
      if (action.setsStatus && action.statusAt !== undefined && now >= action.statusAt) status = action.setsStatus;
    }
    return status;
  }

  /** The `create` action of a droplet made by `POST /v2/droplets`. */
  creationActionOf(droplet: SimDroplet): SimAction | undefined {
    return droplet.creation ? this.actions.get(droplet.creation.actionId) : undefined;
  }

  /**
   * Adds a droplet made by `POST /v2/droplets` with its `create` action (droplet-creation.ts decides the instants).
   * Returns the action, its id assigned here so create actions and droplet actions share one sequence.
   */
  addCreatedDroplet(
    droplet: Omit<SimDroplet, 'creation'>,
    creation: Omit<DropletCreation, 'actionId'>,
    action: Omit<SimAction, 'id' | 'dropletId'>,
  ): SimAction {
    const created: SimAction = { ...action, id: this.nextActionId++, dropletId: droplet.id };
    this.droplets.set(droplet.id, { ...droplet, creation: { ...creation, actionId: created.id } });
    this.actions.set(created.id, created);
    this.actionsByDroplet.set(droplet.id, [created]);
    return created;
  }

  /** A droplet as `GET /v2/droplets/{id}` finds it: not in the 404 window just after its create. */
  gettableDroplet(id: number, now: number): SimDroplet | undefined {
    const droplet = this.droplets.get(id);
    return droplet && (droplet.creation === undefined || now >= droplet.creation.gettableAt) ? droplet : undefined;
  }

  locked(droplet: SimDroplet, now: number): boolean {
    return this.dropletActions(droplet.id).some((a) => now < a.unlockAt);
  }

  /** Found by id: completed and not deleted. */
  imageById(id: number, now: number): SimImage | undefined {
    const image = this.images.get(id);
    return image && now >= image.completedAt && image.deletedAt === null ? image : undefined;
  }

  /** In listings: past the listing lag, and not yet past the linger after a delete. */
  isListed(image: SimImage, now: number): boolean {
    return now >= image.listedAt && (image.delistAt === null || now < image.delistAt);
  }

  listedImages(now: number, filter: (image: SimImage) => boolean = () => true): SimImage[] {
    return [...this.images.values()]
      .filter((image) => filter(image) && this.isListed(image, now))
      .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  }

  /**
   * Creates an action as DigitalOcean would, or says why not. Everything it will cause is scheduled now.
   * `endsErrored` is asked only once the action is accepted, so a refused POST spends no fault.
   */
  createAction(
    dropletId: number,
    type: DropletActionType,
    snapshotName: string | undefined,
    now: number,
    postedBy: string,
    endsErrored: () => boolean,
  ): SimAction | ActionRefusal {
    const droplet = this.droplets.get(dropletId);
    if (!droplet) return { status: 404, id: 'not_found', message: 'The resource you requested could not be found.' };
    if (this.locked(droplet, now))
      return { status: 422, id: 'unprocessable_entity', message: 'Droplet already has a pending event.' };
    const status = this.status(droplet, now);
    if ((type === 'power_off' || type === 'shutdown') && status === 'off')
      return { status: 422, id: 'unprocessable_entity', message: 'Droplet is already powered off.' };
    if (type === 'power_on' && status === 'active')
      return { status: 422, id: 'unprocessable_entity', message: 'Droplet is already powered on.' };

    const config = this.config();
    const duration =
      config.actionDurationMs[type] +
      (type === 'snapshot' ? config.snapshotMsPerGb * droplet.disk : 0) +
      Math.round(this.random() * config.actionJitterMs);
    const completesAt = now + duration;
    const outcome = endsErrored() ? 'errored' : 'completed';
    const action: SimAction = {
      id: this.nextActionId++,
      dropletId,
      type,
      startedAt: now,
      completesAt,
      outcome,
      unlockAt: completesAt + config.unlockLagMs,
      postedBy,
    };
    const ignored = type === 'shutdown' && this.random() < config.shutdownIgnoredRate;
    if (outcome === 'completed' && type !== 'snapshot' && !ignored) {
      action.setsStatus = type === 'power_on' ? 'active' : 'off';
      action.statusAt = completesAt + config.powerStatusLagMs;
    }
    if (type === 'snapshot') {
      action.snapshotName = snapshotName ?? `${droplet.name}-${now}`;
      if (outcome === 'completed') action.snapshotId = this.scheduleSnapshot(droplet, action, config).id;
    }
    this.actions.set(action.id, action);
    this.dropletActions(dropletId).push(action);
    return action;
  }

  private scheduleSnapshot(droplet: SimDroplet, action: SimAction, config: SimulatorConfig): SimImage {
    const image: SimImage = {
      id: this.nextImageId++,
      dropletId: droplet.id,
      kind: 'snapshot',
      name: action.snapshotName ?? '',
      createdAt: action.startedAt,
      completedAt: action.completesAt,
      listedAt: action.completesAt + config.snapshotListingLagMs,
      deletedAt: null,
      delistAt: null,
      sizeGigabytes: round2(droplet.disk * (0.05 + 0.3 * this.random())),
      minDiskSize: droplet.disk,
      regions: [droplet.region],
      createdByActionId: action.id,
      createdBy: action.postedBy,
      deletedBy: null,
    };
    this.images.set(image.id, image);
    return image;
  }

  /** An image action on a snapshot or backup found by id; its effect waits for `settle`. */
  createImageAction(
    image: SimImage,
    request: { type: ImageActionType; region: string | null },
    now: number,
    postedBy: string,
    endsErrored: () => boolean,
  ): SimImageAction {
    const action: SimImageAction = {
      id: this.nextActionId++,
      imageId: image.id,
      ...request,
      startedAt: now,
      completesAt: now + this.config().imageActionDurationMs[request.type],
      outcome: endsErrored() ? 'errored' : 'completed',
      postedBy,
      applied: false,
    };
    this.imageActions.set(action.id, action);
    return action;
  }

  /** Lands the effects of image actions completed by `now`; every request and state view calls it first. */
  settle(now: number): void {
    settleImageActions(this.imageActions.values(), this.images, now);
    for (const droplet of this.droplets.values()) {
      if (droplet.deletion && now >= droplet.deletion.goneAt) {
        this.droplets.delete(droplet.id);
        this.goneDroplets.set(droplet.id, droplet);
      }
    }
  }

  deleteImage(image: SimImage, now: number, deletedBy: string): void {
    image.deletedAt = now;
    image.delistAt = now + this.config().deletedListingLingerMs;
    image.deletedBy = deletedBy;
  }
}
