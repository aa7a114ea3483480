import { chmodSync, closeSync, constants, lstatSync, openSync, statSync, type Stats } from 'node:fs';
import { ensureDir } from './ensure-dir.js';
import { ArcadiaError } from './errors.js';

/**
 * What arcadia refuses to use, like ssh: a home, ledger or lock folder that another user owns or may write, and a
 * symlink where a file is expected. Another user who can write there could plant a saga that this user's token
 * then runs, or point arcadia's writes at a file of their choosing. Exit 4.
 */
export class UnsafePathError extends ArcadiaError {
  readonly code = 'unsafe_path';
  constructor(
    readonly path: string,
    readonly what: string,
    readonly problem: string,
  ) {
    super(`refusing to use ${what} ${path}: ${problem}; arcadia uses only what you own and nobody else may write`);
  }
}

/** The running user, or undefined where there are no Unix users to compare (Windows): the checks then do nothing. */
function currentUid(): number | undefined {
  return process.getuid?.();
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function ownershipProblem(stats: Stats, uid: number): string | null {
  if (stats.uid !== uid) return `it is owned by uid ${stats.uid}, not by you (uid ${uid})`;
  if ((stats.mode & 0o022) === 0) return null;
  const who = (stats.mode & 0o002) !== 0 ? 'world' : 'group';
  return `it is ${who}-writable (mode ${(stats.mode & 0o777).toString(8)})`;
}

/**
 * Refuses a folder that is not the running user's alone to write. A symlinked folder (a home moved to another disk)
 * is followed only when the link itself is the user's or root's: anyone else's link could be re-pointed at will.
 * Returns false when the folder does not exist.
 */
export function checkOwnDirectory(path: string, what: string): boolean {
  const uid = currentUid();
  const link = lstatOrUndefined(path);
  if (!link) return false;
  if (uid === undefined) return true;
  if (link.isSymbolicLink() && link.uid !== uid && link.uid !== 0) {
    throw new UnsafePathError(path, what, `it is a symlink owned by uid ${link.uid}`);
  }
  let target: Stats;
  try {
    target = link.isSymbolicLink() ? statSync(path) : link;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new UnsafePathError(path, what, 'it is a dangling symlink');
  }
  if (!target.isDirectory()) throw new UnsafePathError(path, what, 'it is not a folder');
  const problem = ownershipProblem(target, uid);
  if (problem !== null) throw new UnsafePathError(path, what, problem);
  return true;
}

/**
 * Checks one of arcadia's own files: a regular file (never a symlink, which is not followed) owned by the running
 * user. Modes wider than owner-only are tightened to 0600: the ledger records what was done to production machines.
 * Returns the file's size, or undefined when there is no file.
 */
export function checkOwnFile(path: string, what: string): number | undefined {
  const stats = lstatOrUndefined(path);
  if (!stats) return undefined;
  if (stats.isSymbolicLink()) throw new UnsafePathError(path, what, 'it is a symlink, not a file');
  if (!stats.isFile()) throw new UnsafePathError(path, what, 'it is not a regular file');
  const uid = currentUid();
  if (uid === undefined) return stats.size;
  if (stats.uid !== uid) {
    throw new UnsafePathError(path, what, `it is owned by uid ${stats.uid}, not by you (uid ${uid})`);
  }
  if ((stats.mode & 0o077) !== 0) chmodSync(path, 0o600);
  return stats.size;
}

/** Creates the file owner-only if it is not there, never through a symlink (O_NOFOLLOW), then checks it. */
export function createOwnFile(path: string, what: string): void {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  checkOwnFile(path, what);
}

/** mkdir -p with an owner-only mode, then refuses the folder unless it is the running user's alone. */
export function ensureOwnDirectory(path: string, what: string): void {
  ensureDir(path, 0o700);
  checkOwnDirectory(path, what);
}
