import { StepFailedError } from '../engine/errors.js';
import type { StepDefinition } from '../engine/step.js';

/** Does nothing, durably: the unit of the runner's overhead benchmark. */
export const noopStep: StepDefinition = {
  name: 'noop',
  description: 'does nothing (for trying the engine)',
  execute: async () => ({}),
  compensate: async () => {},
};

/** Always fails, so `saga start --kind test --step noop --step fail` shows a rollback with nothing installed. */
export const failStep: StepDefinition = {
  name: 'fail',
  description: 'always fails (for trying a rollback)',
  execute: async () => {
    throw new StepFailedError('the fail step always fails');
  },
  compensate: async () => {},
};

/** Waits `--input sleep_ms=N` (default 1000) ms: gives crash and race tests a window to act in. */
export const sleepStep: StepDefinition = {
  name: 'sleep',
  description: 'waits sleep_ms milliseconds (for crash and race tests)',
  execute: async (ctx) => {
    const ms = Number(ctx.input('sleep_ms') ?? 1000);
    await ctx.sleep(Number.isFinite(ms) && ms >= 0 ? ms : 1000);
    return { [`slept_${ctx.stepIdx}`]: ctx.clock.now() };
  },
  compensate: async () => {},
};

export const testSteps: StepDefinition[] = [noopStep, failStep, sleepStep];
