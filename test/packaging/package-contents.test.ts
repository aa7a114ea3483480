import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertBuilt } from '../helpers/arcadia.js';

const ROOT = new URL('../../', import.meta.url);

/** What `npm pack` would put in the tarball, without building or writing it (.ci/package-check does both). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_update_notifier: 'false' },
  });
  const [pack] = JSON.parse(out) as { files: { path: string }[] }[];
  return (pack?.files ?? []).map((file) => file.path);
}

describe('the npm package', () => {
  it('carries the bundled CLI, its migrations, the README and the LICENSE, and nothing for maintainers', () => {
    assertBuilt(); // the bundle is only listed once it is built
    const files = packedFiles();
    expect(files).toEqual(
      expect.arrayContaining([
        'bin/arcadia.js',
        'dist/bundle/arcadia.mjs',
        'drizzle/sqlite/0000_init.sql',
        'drizzle/sqlite/meta/_journal.json',
        'drizzle/postgres/0000_init.sql',
        'drizzle/postgres/meta/_journal.json',
        'README.md',
        'LICENSE',
        'package.json',
      ]),
    );
    const forbidden = files.filter((path) => /\.ts$|^(src|test|tools|\.ci)\/|^dist\/(?!bundle\/)/.test(path));
    expect(forbidden).toEqual([]);
  });

  it('has the license package.json names, in full', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { license: string };
    expect(pkg.license).toBe('Apache-2.0');
    const license = readFileSync(new URL('LICENSE', ROOT), 'utf8');
    expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(license).toContain('TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION');
    expect(license).toContain('END OF TERMS AND CONDITIONS');
  });
});
