// Bundles the compiled CLI (dist/bundle/): Node loads a few files instead of a few hundred, which is most of a
// short command's run time. Each command's code is its own chunk, loaded only when that command runs.
// better-sqlite3 stays external (native addon).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names change with their content: start empty so old chunks do not pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: ['dist/cli/main.js'],
  outdir: 'dist/bundle',
  entryNames: 'arcadia',
  chunkNames: 'chunk-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  // No keepNames: its per-function wrappers cost a short command about 20 ms of start-up. Nothing reads a class
  // name at run time (errors are told apart by instanceof and `code`); only a stack trace shows mangled names.
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3'],
  // CommonJS dependencies bundled into an ES module still call require() for Node built-ins.
  banner: {
    js:
      "import { createRequire as __arcadiaRequire } from 'node:module'; const require = " +
      '__arcadiaRequire(import.meta.url);',
  },
  logLevel: 'warning',
});
