/** The built-in DigitalOcean simulator: used by `arcadia demo`, `arcadia simulator` and the tests. */
export {
  DEFAULT_FAULTS,
  DEFAULT_SIMULATOR_TOKEN,
  defaultSimulatorConfig,
  type DropletSeed,
  type FailNextRequests,
  type FaultConfig,
  type FleetSeed,
  type ImageSeed,
  type SimulatorConfig,
  type SimulatorConfigInput,
  type SimulatorPatch,
  type SlowNextRequests,
} from './config.js';
export { loadSimulatorConfig } from './config-file.js';
export { runSimulatorServer } from './run.js';
export { startSimulator, STATE_PATH, type RunningSimulator } from './server.js';
export type {
  ActionRecord,
  DropletRecord,
  ImageActionRecord,
  ImageRecord,
  SimulatorState,
  VolumeSnapshotRecord,
} from './state.js';
export type { RequestLogEntry, SimulatorCounters } from './request-log.js';
