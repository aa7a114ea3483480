import type { ChaosOptions, ChaosSummary, SeededViolation } from './chaos.js';
import { isViolation } from './invariants.js';
import { describeKill, SCENARIOS, type RunPlan } from './plan.js';
import type { RunOutcome } from './run.js';

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function signed(n: number): string {
  return n < 0 ? `- ${-n}` : `+ ${n}`;
}

function counted(counts: Record<string, number>): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  return entries.length === 0 ? 'none' : entries.map(([status, n]) => `${n} ${status}`).join(', ');
}

/** The command that replays one run's plan (timed kills land wherever the machine's speed puts them). */
export function replayCommand(seed: number, options: Pick<ChaosOptions, 'scenarios' | 'postgres'>): string {
  const filter = options.scenarios.length === SCENARIOS.length ? '' : ` --scenario ${options.scenarios.join(',')}`;
  return `npm run chaos -- ${options.postgres ? '--postgres ' : ''}--seed ${seed} --runs 1${filter}`;
}

function scenarioOf(plan: RunPlan): string {
  if (plan.scenario === 'batch') {
    const explicit = (plan.sim.droplets ?? []).filter((d) => d.tags?.includes('chaos')).length;
    const fleet = plan.sim.fleet && !Array.isArray(plan.sim.fleet) ? plan.sim.fleet.count : 0;
    return `batch of ${explicit + fleet}`;
  }
  if (plan.scenario === 'drill') return `drill ${plan.args.slice(1, 5).join(' ')}`;
  if (plan.scenario === 'restore') return plan.args[0] === 'restore' ? 'restore' : 'restore rollback smoke';
  return plan.scenario === 'smoke'
    ? 'rollback smoke'
    : `snapshot${plan.args.includes('--power-off') ? ' --power-off' : ''}`;
}

export function runLine(
  outcome: RunOutcome,
  index: number,
  total: number,
  options: Pick<ChaosOptions, 'strict'>,
): string {
  const { plan } = outcome;
  const keep = plan.args.indexOf('--keep');
  const killed = outcome.kills.timer + outcome.kills.failpoint - outcome.resumeKills > 0;
  const parts = [
    `[${String(index).padStart(String(total).length)}/${total}] seed ${plan.seed}`,
    `${scenarioOf(plan)}${keep >= 0 ? ` --keep ${plan.args[keep + 1]}` : ''}`,
    `${describeKill(plan.kill)}${killed ? ' (killed)' : plan.kill.kind === 'none' ? '' : ' (missed)'}`,
  ];
  if (outcome.resumeKills > 0) parts.push(`resume killed (${describeKill(plan.resumeKill)})`);
  if (outcome.intrusion) parts.push(outcome.intrusion);
  parts.push(plan.labels.length > 0 ? plan.labels.join(', ') : 'no faults');
  parts.push(`${outcome.faults.total} faults in ${outcome.requests} requests`);
  parts.push(`sagas: ${counted(outcome.sagas)}`);
  const violations = outcome.violations.filter((v) => isViolation(v, options)).length;
  const attention = outcome.violations.length - violations;
  parts.push(
    violations > 0 ? `${violations} VIOLATION(S)` : attention > 0 ? `ok, ${attention} needing attention` : 'ok',
  );
  parts.push(seconds(outcome.ms));
  return parts.join(' · ');
}

function findings(list: SeededViolation[], options: Pick<ChaosOptions, 'scenarios' | 'postgres'>): string[] {
  return list.flatMap((v) => [
    `    seed ${v.seed} [${v.rule}] ${v.message}`,
    `      replay: ${replayCommand(v.seed, options)}` +
      `${v.keptAt ? `; ledger and simulator state kept in ${v.keptAt}` : ''}`,
  ]);
}

function ledgerLine(summary: ChaosSummary, options: Pick<ChaosOptions, 'postgres'>): string {
  const processes = Object.entries(summary.hosts)
    .map(([host, n]) => `${n} on ${host}`)
    .join(', ');
  return options.postgres
    ? `PostgreSQL, a fresh database per run, two hosts (arcadia processes: ${processes || 'none'})`
    : 'SQLite, one host';
}

export function summaryText(
  summary: ChaosSummary,
  options: Pick<ChaosOptions, 'concurrency' | 'scenarios' | 'strict' | 'postgres'>,
): string {
  const f = summary.faults;
  const lowest = summary.lowestAboveReserve === undefined ? '-' : `reserve ${signed(summary.lowestAboveReserve)}`;
  const lines = [
    `arcadia chaos: ${summary.runs} runs, ` +
      `seeds ${summary.firstSeed}..${summary.lastSeed}, ${options.concurrency} at a time, ${seconds(summary.ms)}`,
    `  ledger      ${ledgerLine(summary, options)}`,
    `  runs        ${summary.runs} (${summary.scenarios.single} single snapshot, ${summary.scenarios.batch} ` +
      `batch, ${summary.scenarios.smoke} rollback smoke, ${summary.scenarios.restore} restore, ` +
      `${summary.scenarios.drill} drill)`,
    `  sagas       ${Object.values(summary.sagas).reduce((a, b) => a + b, 0)} (${counted(summary.sagas)})`,
    `  kills       ${summary.kills.total} SIGKILLs (${summary.kills.timer} timed, ${summary.kills.failpoint} ` +
      `at failpoints; ${summary.kills.duringResume} of them during saga resume)`,
    `  faults      ${f.total} injected (${f.serverErrors} 5xx in bursts, ${f.droppedReplies} dropped ` +
      `replies, ${f.errorsAfterEffect} 500s after the effect, ${f.slowReplies} slow replies, ${f.erroredActions} ` +
      `errored actions, ${f.rateLimited} x 429)`,
    `  recovery    ${summary.resumes} saga resume --all, ${summary.intrusions} competing ` +
      `processes, ${summary.requests} requests to the simulator`,
    `  pauses      ${summary.pauses} first commands SIGSTOPped, taken over and SIGCONTed (none may send a ` +
      `request after)`,
    `  quota       ${summary.quotaRuns} runs under a scaled hourly quota with a reserve; lowest left after ` +
      `arcadia's requests: ${lowest}`,
  ];
  if (!options.strict) {
    lines.push(
      `  attention   ${summary.attention.length} saga(s) ended compensation_failed (exit 5, a human is asked ` +
        `to look; not a broken promise; --strict fails on them)`,
    );
    lines.push(...findings(summary.attention, options));
  }
  lines.push(`  violations  ${summary.violations.length}`, ...findings(summary.violations, options));
  return lines.join('\n');
}
