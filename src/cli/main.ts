import { interruptGraceMs } from '../config.js';
import { systemClock } from '../engine/clock.js';
import { watchInterruptSignals } from './interrupt-signals.js';
import { runCli } from './program.js';

// Everything arcadia writes (ledger, locks, temporary homes) is the operator's alone.
process.umask(0o077);

let graceMs = 1_500;
try {
  graceMs = interruptGraceMs(process.env);
} catch {
  // A bad value is reported (exit 4) by the command itself when it loads its settings.
}
const interrupts = watchInterruptSignals({
  // The second signal, or a stop that overran its grace time: at once, without waiting for output to drain.
  exit: (code) => process.exit(code),
  notify: (line) => process.stderr.write(`${line}\n`),
  graceMs,
});
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  streams: { stdout: process.stdout, stderr: process.stderr },
  clock: systemClock,
  stop: interrupts.signal,
});
interrupts.dispose();
// The only process.exit calls in arcadia: here after output is flushed, so piped JSON is never cut short, and the
// forced exits above.
process.exitCode = code;
process.stdout.write('', () => process.exit(code));
