import { DEFAULT_SIMULATOR_TOKEN, type SimulatorConfigInput } from './config.js';
import { loadSimulatorConfig } from './config-file.js';
import { startSimulator, STATE_PATH, type RunningSimulator } from './server.js';

/**
 * `arcadia simulator [--port N] [--config file.json]`: starts the simulator and prints what to export to point
 * arcadia at it. The caller keeps the process alive and closes it.
 */
export async function runSimulatorServer(
  opts: { port?: number; configPath?: string },
  out: (line: string) => void,
): Promise<RunningSimulator> {
  const fromFile: SimulatorConfigInput = opts.configPath === undefined ? {} : loadSimulatorConfig(opts.configPath);
  const config: SimulatorConfigInput = opts.port === undefined ? fromFile : { ...fromFile, port: opts.port };
  const simulator = await startSimulator(config);
  const state = simulator.state();
  const token = config.tokens?.[0] ?? DEFAULT_SIMULATOR_TOKEN;
  out(
    `DigitalOcean simulator listening on ${simulator.url} with ${state.droplets.length} droplets (${state.droplets
      .slice(0, 5)
      .map((d) => d.id)
      .join(', ')}${state.droplets.length > 5 ? ', …' : ''})`,
  );
  out('point arcadia at it with:');
  out(`  export ARCADIA_API_URL=${simulator.url}`);
  out(`  export DIGITALOCEAN_ACCESS_TOKEN=${token}`);
  out(`its state, read-only: ${simulator.url}${STATE_PATH}`);
  return simulator;
}
