import type { MonitoringFacts } from '../../../db/monitoring-facts.js';
import { errorMessage } from '../../../engine/errors.js';
import { UsageError } from '../../../errors.js';
import {
  assessFreshness,
  dropletsInLedger,
  parseThreshold,
  type FreshnessState,
} from '../../../monitoring/freshness.js';
import { Output } from '../../../output/output.js';
import { printCheck, printCheckUnknown } from '../../../output/views/check-view.js';
import { openApp, openLedgerApp, type CliContext } from '../../app.js';
import { NAGIOS, type NagiosExitCode } from '../../exit-codes.js';
import { validateTag } from '../../parse.js';
import { parseDropletIds } from '../../shared/droplet-ids.js';

export interface CheckOptions {
  dropletIds: string[];
  tag: string | undefined;
  warn: string;
  crit: string;
  json: boolean;
}

const EXIT_FOR_STATE: Record<FreshnessState, NagiosExitCode> = {
  OK: NAGIOS.ok,
  WARNING: NAGIOS.warning,
  CRITICAL: NAGIOS.critical,
};

function thresholds(opts: CheckOptions): { warnSeconds: number; critSeconds: number } {
  const warnSeconds = parseThreshold(opts.warn);
  const critSeconds = parseThreshold(opts.crit);
  if (warnSeconds === undefined) throw new UsageError(`--warn "${opts.warn.slice(0, 20)}" is not an age like 26h`);
  if (critSeconds === undefined) throw new UsageError(`--crit "${opts.crit.slice(0, 20)}" is not an age like 32h`);
  if (warnSeconds > critSeconds) throw new UsageError('--warn must not be longer than --crit');
  return { warnSeconds, critSeconds };
}

/** The droplets to check: the ids, the tag's droplets (listed, so a new droplet without snapshots shows), or all. */
async function checkedDroplets(
  ctx: CliContext,
  ids: number[],
  tag: string | undefined,
  ledgerDroplets: { id: number; name: string }[],
): Promise<{ id: number; name?: string }[]> {
  if (ids.length === 0 && tag === undefined) return ledgerDroplets;
  const chosen = new Map<number, { id: number; name?: string }>(ids.map((id) => [id, { id }]));
  if (tag !== undefined) {
    const app = await openApp(ctx, { readOnly: true });
    try {
      for (const droplet of await app.api().listDroplets({ tagName: tag })) {
        chosen.set(droplet.id, { id: droplet.id, name: droplet.name });
      }
    } finally {
      await app.close();
    }
  }
  return [...chosen.values()];
}

/** Nothing to judge (no droplet given, tagged or in the ledger): UNKNOWN, as an OK would hide a wrong home. */
export class NothingToCheckError extends UsageError {
  constructor(reason: string) {
    super(`no droplets to check: ${reason}; give droplet ids or --tag`);
  }
}

async function readFacts(ctx: CliContext): Promise<MonitoringFacts> {
  const app = await openLedgerApp(ctx, { readOnly: true });
  try {
    return await app.ledger.monitoringFacts();
  } finally {
    await app.close();
  }
}

/**
 * `arcadia check`: every failure of the check itself is UNKNOWN (3), printed as the plugin's one line, so the
 * monitoring system never mistakes a broken check for a CRITICAL backup, nor an unreadable ledger for an OK one.
 */
export async function runCheck(opts: CheckOptions, ctx: CliContext): Promise<NagiosExitCode> {
  const output = await Output.detect(ctx.streams, ctx.env, opts.json);
  try {
    const limits = thresholds(opts);
    const ids = parseDropletIds(opts.dropletIds);
    if (opts.tag !== undefined) validateTag(opts.tag);
    const facts = await readFacts(ctx);
    const droplets = await checkedDroplets(ctx, ids, opts.tag, dropletsInLedger(facts.succeeded));
    if (droplets.length === 0) {
      const reason = opts.tag === undefined ? 'no snapshot in the ledger yet' : `no droplets carry the tag ${opts.tag}`;
      throw new NothingToCheckError(reason);
    }
    const report = assessFreshness(droplets, facts.succeeded, ctx.clock.now(), limits);
    const code = EXIT_FOR_STATE[report.state];
    printCheck(output, report, code);
    return code;
  } catch (error) {
    printCheckUnknown(output, errorMessage(error));
    return NAGIOS.unknown;
  }
}
