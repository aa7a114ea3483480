import type { Command } from 'commander';
import type { CliContext } from '../app.js';
import type { ExitCode } from '../exit-codes.js';
import { registerSagaCancel } from './saga-cancel.js';
import { registerSagaList } from './saga-list.js';
import { registerSagaResume } from './saga-resume.js';
import { registerSagaShow } from './saga-show.js';
import { registerSagaStart } from './saga-start.js';

export function registerSaga(program: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  const saga = program.command('saga').description('create, inspect, resume and cancel sagas');
  registerSagaStart(saga, ctx, setExit);
  registerSagaList(saga, ctx, setExit);
  registerSagaShow(saga, ctx, setExit);
  registerSagaResume(saga, ctx, setExit);
  registerSagaCancel(saga, ctx, setExit);
}
