import { StepFailedError } from '../../engine/errors.js';

/**
 * Droplets carry this saga's tag that the saga cannot prove it made: two of them (impossible by construction), or
 * one with another name. Nothing is adopted or deleted on a guess: the step fails and a person looks.
 */
export class TaggedDropletsConflictError extends StepFailedError {
  constructor(
    readonly tag: string,
    readonly dropletIds: readonly number[],
    reason: string,
  ) {
    super(
      `${reason}; droplets carrying the tag ${tag}: ${dropletIds.join(', ')}. arcadia adopts and deletes only a ` +
        'droplet it can prove it made: check them and delete the extra one by hand',
    );
  }
}

/** Every request to create the droplet went unanswered and no droplet with the saga's tag appeared. */
export class RestoreRequestsLostError extends StepFailedError {
  constructor(
    readonly tag: string,
    readonly requests: number,
  ) {
    super(`no reply to ${requests} requests to create the droplet, and no droplet carries the tag ${tag}`);
  }
}

/** DigitalOcean reports the droplet's create action errored: the droplet will not come up (compensation deletes it). */
export class DropletCreateErroredError extends StepFailedError {
  constructor(
    readonly dropletId: number,
    readonly actionId: number,
  ) {
    super(`DigitalOcean reports the create action ${actionId} of droplet ${dropletId} errored`);
  }
}

export class DropletNotActiveError extends StepFailedError {
  constructor(
    readonly dropletId: number,
    readonly status: string,
    readonly waitedMs: number,
  ) {
    super(`droplet ${dropletId} was still ${JSON.stringify(status)} after ${waitedMs} ms (ARCADIA_RESTORE_TIMEOUT_MS)`);
  }
}

/** `GET /v2/droplets/{id}` kept answering 404 past the checks allowed right after a create. */
export class RestoredDropletNotFoundError extends StepFailedError {
  constructor(
    readonly dropletId: number,
    readonly checks: number,
  ) {
    super(
      `droplet ${dropletId} was not found in ${checks} checks after its create ` +
        '(ARCADIA_RESTORE_NOT_FOUND_CHECKS); it may have been deleted',
    );
  }
}

/** The deleted droplet was still found long after its DELETE was accepted. */
export class DropletStillPresentError extends StepFailedError {
  constructor(
    readonly dropletId: number,
    readonly waitedMs: number,
  ) {
    super(`droplet ${dropletId} was still found ${waitedMs} ms after its DELETE (ARCADIA_RESTORE_TIMEOUT_MS)`);
  }
}

/** A restore or drill saga's input is missing or malformed (a hand-made saga: the commands check them first). */
export class RestoreInputError extends StepFailedError {
  constructor(
    readonly input: string,
    expected: string,
    got: unknown,
  ) {
    super(`input ${input} must be ${expected}, got ${JSON.stringify(got) ?? 'nothing'}`);
  }
}
