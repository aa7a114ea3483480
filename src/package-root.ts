import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The installed package's folder (where package.json and drizzle/ live), found by walking up from this module:
 * the same answer from src/ under the tests, from dist/ and from the single-file bundle.
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'drizzle'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the arcadia package folder (package.json and drizzle/)');
    dir = parent;
  }
  root = dir;
  return dir;
}
