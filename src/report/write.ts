/**
 * Writing a result file (a report, a JUnit file, a saved trace): checked
 * before a run (the folder must take the file) and written all at once
 * (a temporary file beside it, renamed over it), so a full disk or a
 * vanished folder is one UsageError line and never a half-written file.
 */
import { accessSync, closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../model.js';

const why = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/**
 * Fail now, before hours of search, if `file` cannot be written later: its folder must exist and be
 * writable, and the file, if there, must be a regular file (not a folder, a device or /proc/self/fd/1).
 */
export function checkWritable(file: string, what: string): void {
  const path = resolve(file);
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st && !st.isFile()) throw new UsageError(`cannot write ${what} ${file}: it exists and is not a regular file`);
    const dir = dirname(path);
    if (!statSync(dir).isDirectory()) throw new UsageError(`cannot write ${what} ${file}: ${dir} is not a folder`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot write ${what} ${file}: ${why(e)}`);
  }
}

/** Write `text` to `file` atomically; on any failure remove the temporary file and throw one UsageError line. */
export function writeResultFile(file: string, text: string, what: string): void {
  const path = resolve(file);
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    // a regular file only: a path under /proc or a FIFO must not block or take half a report
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EINVAL' });
    const buf = Buffer.from(text, 'utf8');
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        /* closing is best effort */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* never created */
    }
    throw new UsageError(`cannot write ${what} ${file}: ${why(e)}`);
  }
}

/**
 * `mkdir -p`, one level at a time. Not mkdirSync's `recursive`: under /proc it retries ENOENT for ever
 * (`--out /proc/self/x` hung); here any failure is one UsageError line.
 */
export function makeDirs(dir: string, what: string): void {
  const path = resolve(dir);
  try {
    const missing: string[] = [];
    for (let p = path; !existsSync(p); p = dirname(p)) {
      missing.push(p);
      if (dirname(p) === p) break;
    }
    for (const d of missing.reverse()) mkdirSync(d);
    if (!statSync(path).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
  } catch (e) {
    throw new UsageError(`cannot create ${what} ${dir}: ${why(e)}`);
  }
}
