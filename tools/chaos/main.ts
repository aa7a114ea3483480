/**
 * `npm run chaos`: many seeded runs of the built arcadia against the simulator under kills and faults, each ending
 * with `saga resume --all` and a check of every promise. Exit 0 when no run broke one, 1 otherwise, 2 on bad flags.
 */
import { runChaos } from './chaos.js';
import { ChaosUsageError, parseChaosArgs, USAGE, type ChaosCliOptions } from './options.js';
import { runLine, summaryText } from './report.js';

let options: ChaosCliOptions;
try {
  options = parseChaosArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof ChaosUsageError)) throw error;
  process.stderr.write(`chaos: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}

if (options.help) {
  process.stdout.write(USAGE);
} else {
  const log = (line: string): void => void (options.json ? process.stderr : process.stdout).write(`${line}\n`);
  if (!options.json)
    log(
      `arcadia chaos: ${options.runs} runs from ` +
        `seed ${options.seed}${options.seedFromClock ? ' (from the clock)' : ''}, ` +
        `${options.concurrency} at a time${options.postgres ? ', on PostgreSQL with two hosts' : ''}`,
    );
  let done = 0;
  const summary = await runChaos(options, (outcome) => {
    done += 1;
    if (!options.quiet && !options.json) log(runLine(outcome, done, options.runs, options));
  });
  if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else log(`\n${summaryText(summary, options)}`);
  process.exitCode = summary.violations.length > 0 ? 1 : 0;
}
