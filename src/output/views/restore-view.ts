import type { RestoreFacts } from '../../sagas/restore/facts.js';
import { humanDuration, isoTime, terminal } from '../format.js';
import type { Output } from '../output.js';

/** What `arcadia restore` tells (its `--json` shape too). */
export interface RestoreResult {
  sagaId: string;
  /** The saga's status, or `pending` under --detach. */
  status: string;
  snapshotId: string;
  dropletId: number | null;
  dropletName: string;
  region: string;
  size: string;
  /** The size's monthly list price (USD): what keeping the restored droplet costs. */
  monthlyPriceUsd: number;
  tags: string[];
  activeAfterMs: number | null;
  error: string | null;
}

function colourStatus(output: Output, status: string) {
  if (status === 'succeeded') return output.color.green(status);
  if (status === 'compensation_failed') return output.color.red(status);
  return status === 'pending' ? output.color.cyan(status) : output.color.yellow(status);
}

export function printRestoreResult(output: Output, result: RestoreResult): void {
  if (output.mode === 'json') {
    output.json(result);
    return;
  }
  const droplet = result.dropletId === null ? result.dropletName : `${result.dropletId} (${result.dropletName})`;
  const active = result.activeAfterMs === null ? '' : `, active after ${humanDuration(result.activeAfterMs)}`;
  const where = `in ${result.region}, ${result.size} ($${result.monthlyPriceUsd}/month)${active}`;
  const status = colourStatus(output, result.status);
  output.print(terminal`restore ${status}: droplet ${droplet} from snapshot ${result.snapshotId} ${where}`);
  if (result.error) output.print(`error: ${result.error}`);
  if (result.status === 'pending') output.print(`run it with: arcadia saga resume ${result.sagaId}`);
  else output.print(`details: arcadia saga show ${result.sagaId}`);
}

/** One line for `saga show`: which snapshot the saga restores into which droplet, and how it went. */
export function restoreFactsLine(facts: RestoreFacts): string {
  const droplet = facts.dropletId === null ? 'no droplet yet' : `droplet ${facts.dropletId}`;
  const source = facts.sourceDropletId === null ? '' : ` of droplet ${facts.sourceDropletId}`;
  const parts = [
    `snapshot ${facts.snapshotId ?? '?'}${source}`,
    `-> ${droplet} ${facts.dropletName ?? ''}`.trimEnd(),
    `(${facts.region ?? '?'}, ${facts.sizeSlug ?? '?'})`,
  ];
  if (facts.activeAfterMs !== null) parts.push(`active after ${humanDuration(facts.activeAfterMs)}`);
  if (facts.deletedAt !== null) parts.push(`deleted ${isoTime(facts.deletedAt)}`);
  return parts.join(' ');
}
