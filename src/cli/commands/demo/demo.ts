import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_SIMULATOR_TOKEN, startSimulator } from '../../../simulator/index.js';

import { terminal } from '../../../output/format.js';
import { Output } from '../../../output/output.js';
import { openApp, type CliContext } from '../../app.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { runSagaList } from '../saga/list.js';
import { runSagaShow } from '../saga/show.js';
import { runSagaStart } from '../saga/start.js';
import { runSnapshot } from '../snapshot/run-snapshot.js';

const DEMO_DROPLET = '3164444';

/** Only what the demo sets: everything else (tokens, URLs) comes from the simulator, never from the caller. */
function demoEnv(base: NodeJS.ProcessEnv, home: string, apiUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'TERM', 'NO_COLOR', 'FORCE_COLOR'] as const)
    if (base[key] !== undefined) env[key] = base[key];
  return {
    ...env,
    ARCADIA_HOME: home,
    ARCADIA_API_URL: apiUrl,
    DIGITALOCEAN_ACCESS_TOKEN: DEFAULT_SIMULATOR_TOKEN,
    ARCADIA_POLL_INTERVAL_MS: '250',
    ARCADIA_LOOKUP_INTERVAL_MS: '200',
    ARCADIA_RETRY_BASE_MS: '200',
  };
}

/**
 * A newcomer's tour: the built-in simulator on loopback, a fresh ledger in a temporary home, a real snapshot saga,
 * the rollback smoke check, then `saga list` and `saga show`.
 */
export async function runDemo(ctx: CliContext): Promise<ExitCode> {
  const output = await Output.detect(ctx.streams, ctx.env, false);
  const simulator = await startSimulator();
  const home = mkdtempSync(join(tmpdir(), 'arcadia-demo-'));
  const demo: CliContext = { ...ctx, env: demoEnv(ctx.env, home, simulator.url) };
  const heading = (text: string): void => output.print(terminal`\n${output.color.bold(`== ${text}`)}`);
  try {
    output.print(`DigitalOcean simulator on ${simulator.url}; ledger in ${home}`);

    heading(`arcadia snapshot ${DEMO_DROPLET}`);
    const snapshotCode = await runSnapshot(
      {
        dropletIds: [DEMO_DROPLET],
        tag: undefined,
        label: undefined,
        powerOff: false,
        retention: undefined,
        concurrency: 1,
        detach: false,
        dryRun: false,
        json: false,
        triggeredBy: 'demo',
      },
      demo,
    );

    heading(
      `arcadia saga start --kind test --step create_droplet_snapshot --step fail --input ` +
        `droplet_provider_id=${DEMO_DROPLET}`,
    );
    output.print('(the smoke check: the snapshot is made, the fail step fails, the snapshot is deleted again)');
    const smokeCode = await runSagaStart(
      {
        kind: 'test',
        steps: ['create_droplet_snapshot', 'fail'],
        inputs: [`droplet_provider_id=${DEMO_DROPLET}`],
        triggeredBy: 'demo',
        deploymentId: null,
        detach: false,
        json: false,
      },
      demo,
    );

    heading('arcadia saga list');
    await runSagaList({ statuses: [], kind: undefined, deploymentId: undefined, limit: 20, json: false }, demo);

    const state = simulator.state();
    const smoke = state.snapshots.filter((s) => s.deletedAt !== null);
    const kept = state.snapshots.filter((s) => s.deletedAt === null && s.name.startsWith('arcadia-snap-'));
    const app = await openApp(demo);
    const [smokeSaga] = await app.ledger.listSagas({ kind: 'test', limit: 1 });
    await app.close();
    if (smokeSaga) {
      heading(`arcadia saga show ${smokeSaga.id.slice(0, 8)}`);
      await runSagaShow({ ref: smokeSaga.id.slice(0, 8), json: false }, demo);
    }

    heading('what is left on the (simulated) provider');
    output.print(`arcadia snapshots kept: ${kept.map((s) => `${s.id} ${s.name}`).join(', ') || 'none'}`);
    output.print(
      `arcadia snapshots deleted by rollback: ${smoke.map((s) => `${s.id} ${s.name}`).join(', ') || 'none'}`,
    );
    const ledger = join(home, 'arcadia.db');
    output.print(terminal`\nThe ledger is ${ledger}; look again with: ARCADIA_HOME=${home} arcadia saga list`);
    const ok = snapshotCode === EXIT.ok && smokeCode === EXIT.sagaFailed && kept.length === 1;
    if (!ok) output.print(output.color.red('the demo did not go as expected: see above'));
    return ok ? EXIT.ok : EXIT.sagaFailed;
  } finally {
    await simulator.close();
  }
}

export function registerDemo(program: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  program
    .command('demo')
    .description('see arcadia work: the built-in DigitalOcean simulator, a fresh ledger, a snapshot and a rollback')
    .action(async () => {
      setExit(await runDemo(ctx));
    });
}
