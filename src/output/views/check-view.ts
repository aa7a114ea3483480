import { shortAge, type FreshnessReport } from '../../monitoring/freshness.js';
import { isoTime, safeText } from '../format.js';
import type { Output } from '../output.js';

/** Nagios perfdata: `label=value[UOM];warn;crit`, `U` for a value that cannot be known (no snapshot ever). */
function perfdata(report: FreshnessReport): string {
  const limits = `${report.warnSeconds};${report.critSeconds}`;
  const value = (age: number | null): string => (age === null ? 'U' : `${age}s`);
  return report.droplets.map((d) => `age_${d.dropletId}=${value(d.ageSeconds)};${limits}`).join(' ');
}

function summary(report: FreshnessReport): string {
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
  return `ARCADIA ${report.state} - ${parts.join(', ')}`;
}

/** One summary line with perfdata, then a line per droplet: what Nagios, Icinga and Sensu read. */
export function printCheck(output: Output, report: FreshnessReport, exitCode: number): void {
  if (output.mode === 'json') {
    output.json({ status: report.state, exitCode, ...report });
    return;
  }
  const lines = [`${summary(report)}${report.droplets.length > 0 ? ` | ${perfdata(report)}` : ''}`];
  for (const d of report.droplets) {
    const name = d.dropletName ? ` (${safeText(d.dropletName)})` : '';
    const detail =
      d.ageSeconds === null
        ? 'no successful snapshot in the ledger'
        : `newest snapshot ${shortAge(d.ageSeconds)} ago (${isoTime(d.lastSuccessAt)}, ` +
          `snapshot ${d.snapshotId ?? '?'})`;
    lines.push(`${d.state}: droplet ${d.dropletId}${name}: ${detail}`);
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
