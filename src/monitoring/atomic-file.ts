import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `text` to `path` so that a reader (node_exporter's textfile collector) sees the old file or the new one,
 * never part of one: a temporary file in the same folder (rename is atomic only within one file system), flushed to
 * disk before the rename. The collector ignores names not ending in `.prom`, so the temporary one is never read.
 * `mode` is set explicitly (the process umask of arcadia is narrower than the operator's): node_exporter usually
 * runs as another user and must read the file.
 */
export function writeFileAtomically(path: string, text: string, mode = 0o600): void {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    try {
      fchmodSync(fd, mode);
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
