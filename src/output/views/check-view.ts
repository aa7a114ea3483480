import type { DrillReport } from '../../monitoring/drill-freshness.js';
import { shortAge, type FreshnessReport, type FreshnessState } from '../../monitoring/freshness.js';
import { humanDuration, isoTime, safeText } from '../format.js';
import type { Output } from '../output.js';

/** Nagios perfdata: `label=value[UOM];warn;crit`, `U` for a value that cannot be known (no snapshot ever). */
function perfdata(report: FreshnessReport): string {
  const limits = `${report.warnSeconds};${report.critSeconds}`;
  const value = (age: number | null): string => (age === null ? 'U' : `${age}s`);
  return report.droplets.map((d) => `age_${d.dropletId}=${value(d.ageSeconds)};${limits}`).join(' ');
}

/** What `arcadia check` found: the overall state, the snapshot ages, and with `--drill-warn` the drill ages. */
export interface CheckResult {
  state: FreshnessState;
  snapshots: FreshnessReport;
  drills?: DrillReport;
}

/** Drill perfdata: a warning threshold only, as a drill never makes the check CRITICAL. */
function drillPerfdata(drills: DrillReport): string {
  const value = (age: number | null): string => (age === null ? 'U' : `${age}s`);
  return drills.droplets.map((d) => `drill_age_${d.dropletId}=${value(d.ageSeconds)};${drills.warnSeconds}`).join(' ');
}

function drillSummary(drills: DrillReport): string[] {
  const overdue = drills.droplets.filter((d) => d.state === 'WARNING').length;
  return overdue > 0 ? [`${overdue} drill${overdue === 1 ? '' : 's'} overdue`] : [];
}

function drillLine(d: DrillReport['droplets'][number], name: string): string {
  if (d.ageSeconds === null) return `${d.state}: droplet ${d.dropletId}${name}: never drilled`;
  const active = d.activeAfterMs === null ? '' : `, active after ${humanDuration(d.activeAfterMs)}`;
  const detail = `snapshot ${d.snapshotId ?? '?'} restored${active}`;
  return `${d.state}: droplet ${d.dropletId}${name}: last drill ${shortAge(d.ageSeconds)} ago (${detail})`;
}

function summary(report: FreshnessReport, state: FreshnessState, drills: DrillReport | undefined): string {
  const count = report.droplets.length;
  const ages = report.droplets.flatMap((d) => (d.ageSeconds === null ? [] : [d.ageSeconds]));
  const parts = [`${count} droplet${count === 1 ? '' : 's'}`];
  const critical = report.droplets.filter((d) => d.state === 'CRITICAL').length;
  const warning = report.droplets.filter((d) => d.state === 'WARNING').length;
  if (critical > 0) parts.push(`${critical} critical`);
  if (warning > 0) parts.push(`${warning} warning`);
  if (ages.length > 0) {
    parts.push(`newest snapshot ${shortAge(Math.min(...ages))} ago`);
    if (report.state !== 'OK') parts.push(`oldest ${shortAge(Math.max(...ages))} ago`);
  } else {
    parts.push('no successful snapshot');
  }
  if (drills) parts.push(...drillSummary(drills));
  return `ARCADIA ${state} - ${parts.join(', ')}`;
}

/** One summary line with perfdata, then a line per droplet: what Nagios, Icinga and Sensu read. */
export function printCheck(output: Output, result: CheckResult, exitCode: number): void {
  const { snapshots: report, drills } = result;
  if (output.mode === 'json') {
    // `state` stays the snapshots' own; `status` is the check's, drills included.
    output.json({ status: result.state, exitCode, ...report, ...(drills ? { drills } : {}) });
    return;
  }
  const perf = [perfdata(report), ...(drills ? [drillPerfdata(drills)] : [])].join(' ');
  const lines = [`${summary(report, result.state, drills)}${report.droplets.length > 0 ? ` | ${perf}` : ''}`];
  for (const d of report.droplets) {
    const name = d.dropletName ? ` (${safeText(d.dropletName)})` : '';
    const detail =
      d.ageSeconds === null
        ? 'no successful snapshot in the ledger'
        : `newest snapshot ${shortAge(d.ageSeconds)} ago (${isoTime(d.lastSuccessAt)}, ` +
          `snapshot ${d.snapshotId ?? '?'})`;
    lines.push(`${d.state}: droplet ${d.dropletId}${name}: ${detail}`);
  }
  for (const d of drills?.droplets ?? []) {
    const named = report.droplets.find((r) => r.dropletId === d.dropletId)?.dropletName;
    lines.push(drillLine(d, named ? ` (${safeText(named)})` : ''));
  }
  for (const line of lines) output.print(line);
}

/** The check itself failed (bad arguments, no ledger, no token for --tag): UNKNOWN, on stdout where Nagios reads. */
export function printCheckUnknown(output: Output, message: string): void {
  if (output.mode === 'json') {
    output.json({ status: 'UNKNOWN', exitCode: 3, error: message });
    return;
  }
  output.print(`ARCADIA UNKNOWN - ${message}`);
}
