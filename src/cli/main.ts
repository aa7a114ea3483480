import { interruptGraceMs } from '../config.js';
import { systemClock } from '../engine/clock.js';
import { Output } from '../output/output.js';
import { watchInterruptSignals } from './interrupt-signals.js';
import { runCli } from './program.js';

// Everything arcadia writes (ledger, locks, temporary homes) is the operator's alone; only the metrics file, read by
// node_exporter (often another user), is made with the operator's own umask.
const userUmask = process.umask(0o077);

let graceMs = 1_500;
try {
  graceMs = interruptGraceMs(process.env);
} catch {
  // A bad value is reported (exit 4) by the command itself when it loads its settings.
}
const streams = { stdout: process.stdout, stderr: process.stderr };
// A forced exit comes before the command printed anything (it prints once, at the end): in --json mode its one
// JSON document is this error, so stdout stays valid JSON.
const json = process.argv.includes('--json');
const interrupts = watchInterruptSignals({
  // The second signal, or a stop that overran its grace time: at once, without waiting for output to drain.
  exit: (code) => process.exit(code),
  notify: (line, signal) =>
    json ? new Output('json', streams).error('interrupted', line, { signal }) : process.stderr.write(`${line}\n`),
  graceMs,
});
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  streams,
  clock: systemClock,
  stop: interrupts.signal,
  userUmask,
});
interrupts.dispose();
// The only process.exit calls in arcadia: here after output is flushed, so piped JSON is never cut short, and the
// forced exits above.
process.exitCode = code;
process.stdout.write('', () => process.exit(code));
