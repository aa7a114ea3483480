import type { Command } from 'commander';
import type { CliContext } from '../../app.js';
import type { ExitCode } from '../../exit-codes.js';
import { registerSagaCancel } from './cancel.js';
import { registerSagaList } from './list.js';
import { registerSagaResume } from './resume.js';
import { registerSagaShow } from './show.js';
import { registerSagaStart } from './start.js';

export function registerSaga(program: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  const saga = program.command('saga').description('create, inspect, resume and cancel sagas');
  registerSagaStart(saga, ctx, setExit);
  registerSagaList(saga, ctx, setExit);
  registerSagaShow(saga, ctx, setExit);
  registerSagaResume(saga, ctx, setExit);
  registerSagaCancel(saga, ctx, setExit);
}
