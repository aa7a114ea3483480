import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runArcadia } from '../helpers/arcadia.js';
import { tempHome } from '../helpers/temp-home.js';
import { inProcess } from '../security/util.js';

/** Every command a user can type, as the README lists them: a script that misses one is incomplete. */
const COMMANDS = [
  ['snapshot'],
  ['reconcile'],
  ['saga'],
  ['saga', 'start'],
  ['saga', 'list'],
  ['saga', 'show'],
  ['saga', 'resume'],
  ['saga', 'cancel'],
  ['ledger'],
  ['ledger', 'info'],
  ['ledger', 'copy'],
  ['simulator'],
  ['demo'],
  ['completion'],
];
/** A few options of different commands, among them ones that take values and flags. */
const OPTIONS = [
  '--power-off',
  '--keep',
  '--dry-run',
  '--concurrency',
  '--delete',
  '--all',
  '--status',
  '--port',
  '--to',
  '--json',
];

function hasShell(shell: string): boolean {
  return spawnSync(shell, ['-c', 'exit 0'], { stdio: 'ignore' }).status === 0;
}

async function script(shell: string): Promise<string> {
  const run = await inProcess(['completion', shell], { PATH: process.env.PATH });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.stdout;
}

function saved(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Runs the bash function as bash's completion would, for the words typed so far (the last is being typed). */
function bashCompletes(scriptPath: string, typed: string[]): string[] {
  const program = [
    `source ${JSON.stringify(scriptPath)}`,
    'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()',
    '_arcadia_completion',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const out = execFileSync('bash', ['-c', program, 'bash', ...typed], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line !== '');
}

describe('arcadia completion', () => {
  it('bash: a script that parses and offers every command and option where it belongs', async (t) => {
    const text = await script('bash');
    const path = saved(tempHome({ test: t }).home, 'arcadia.bash', text);
    execFileSync('bash', ['-n', path]);
    for (const command of COMMANDS) expect(text).toContain(`'arcadia ${command.join(' ')}')`);
    for (const option of OPTIONS) expect(text).toContain(option);

    expect(bashCompletes(path, ['arcadia', ''])).toEqual(
      expect.arrayContaining(['snapshot', 'reconcile', 'saga', 'simulator', 'demo', 'completion', '--help']),
    );
    expect(bashCompletes(path, ['arcadia', 'saga', 'l'])).toEqual(['list']);
    expect(bashCompletes(path, ['arcadia', 'saga', 'resume', '--a'])).toEqual(['--all']);
    expect(bashCompletes(path, ['arcadia', 'snapshot', '--tag', 'web', '--power'])).toEqual(['--power-off']);
    // After an option that takes a free value nothing is offered (not the options again).
    expect(bashCompletes(path, ['arcadia', 'snapshot', '--tag', ''])).toEqual([]);
    expect(bashCompletes(path, ['arcadia', 'completion', ''])).toEqual(expect.arrayContaining(['bash', 'zsh', 'fish']));
  });

  it('zsh: a compdef function naming every command', async (t) => {
    const text = await script('zsh');
    expect(text.startsWith('#compdef arcadia\n')).toBe(true);
    for (const command of COMMANDS) expect(text).toContain(`'arcadia ${command.join(' ')}')`);
    for (const option of OPTIONS) expect(text).toContain(`'${option}:`);
    // zsh is not installed everywhere: its own syntax check runs where it is.
    if (hasShell('zsh')) execFileSync('zsh', ['-n', saved(tempHome({ test: t }).home, '_arcadia', text)]);
  });

  it('fish: complete lines for every command', async (t) => {
    const text = await script('fish');
    for (const command of COMMANDS) {
      const parent = ['arcadia', ...command.slice(0, -1)].join(' ');
      expect(text).toContain(`-n '__arcadia_at ${parent}' -a '${command[command.length - 1]}'`);
    }
    for (const option of OPTIONS) expect(text).toContain(`-l ${option.slice(2)}`);
    if (hasShell('fish'))
      execFileSync('fish', ['--no-execute', saved(tempHome({ test: t }).home, 'arcadia.fish', text)]);
  });

  it('refuses a shell it does not know, as a usage error', async () => {
    const run = await inProcess(['completion', 'ksh'], { PATH: process.env.PATH });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/'ksh' is invalid.*bash, zsh, fish/);
  });

  it('is in the built CLI', async () => {
    const run = await runArcadia(['completion', 'bash']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('complete -F _arcadia_completion arcadia');
  });
});
