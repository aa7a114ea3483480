import { ArcadiaError } from '../errors.js';

/**
 * A saga whose kind and steps match no saga arcadia builds: someone wrote it into the ledger by hand (a snapshot
 * saga of nothing but `power_off_droplet`). Running it would act with this user's token on another's plan.
 */
export class SagaTemplateMismatchError extends ArcadiaError {
  readonly code = 'saga_template_mismatch';
  constructor(
    readonly sagaId: string,
    readonly kind: string,
    readonly stepNames: string[],
    reason: string,
  ) {
    super(
      `saga ${sagaId} (kind "${kind.slice(0, 40)}", steps: ${stepNames.join(', ').slice(0, 200) || 'none'}) ` +
        `matches no saga arcadia builds: ${reason}. It was not run and was left untouched`,
    );
  }
}
