// Bundles the maintainer tools (chaos, bench) into dist/tools/, beside the product's dist/bundle/ and never in the
// package (package.json's `files` lists the bundle only). esbuild reads the TypeScript sources directly, src/ included,
// so the tools always run the code of this checkout; `tsc -p tools` type-checks them.
import { build } from 'esbuild';

await build({
  entryPoints: { chaos: 'tools/chaos/main.ts', bench: 'tools/bench/main.ts' },
  outdir: 'dist/tools',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Native addon; the other dependencies are bundled, so require() of Node built-ins needs a real require.
  external: ['better-sqlite3'],
  banner: {
    js: [
      "import { createRequire as __toolsRequire } from 'node:module';",
      'const require = __toolsRequire(import.meta.url);',
    ].join(' '),
  },
  logLevel: 'warning',
});
