import { systemClock } from '../engine/clock.js';
import { runCli } from './program.js';

// Everything arcadia writes (ledger, locks, temporary homes) is the operator's alone.
process.umask(0o077);

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  streams: { stdout: process.stdout, stderr: process.stderr },
  clock: systemClock,
});
// The only process.exit in arcadia: after output is flushed, so piped JSON is never cut short.
process.exitCode = code;
process.stdout.write('', () => process.exit(code));
