import type { Command } from 'commander';
import { runSimulatorServer } from '../../../simulator/index.js';
import type { CliContext } from '../../app.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { intInRange } from '../../parse.js';

export interface SimulatorOptions {
  port: number;
  configPath: string | undefined;
}

/** Serves the simulator on 127.0.0.1 until SIGINT or SIGTERM. */
export async function runSimulatorCommand(opts: SimulatorOptions, ctx: CliContext): Promise<ExitCode> {
  const simulator = await runSimulatorServer(
    { port: opts.port, ...(opts.configPath !== undefined ? { configPath: opts.configPath } : {}) },
    (line) => ctx.streams.stdout.write(`${line}\n`),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await simulator.close();
  return EXIT.ok;
}

export function registerSimulator(program: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  program
    .command('simulator')
    .description('run the built-in DigitalOcean simulator on 127.0.0.1, to point arcadia at by hand')
    .option('--port <n>', 'port (0 picks a free one)', intInRange(0, 65535), 0)
    .option('--config <file>', 'a JSON simulator configuration (droplets, timings, rate limits, faults)')
    .addHelpText('after', '\nExample:\n  arcadia simulator --port 8089 --config sim.json')
    .action(async (o: { port: number; config?: string }) => {
      setExit(await runSimulatorCommand({ port: o.port, configPath: o.config }, ctx));
    });
}
