/**
 * A small glob for matrix files (Node 20 has no fs.glob): `*` and `?` within
 * one path segment, `**` for any number of directories. Relative patterns
 * resolve against `base`. Results are absolute, sorted, files only.
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (const ch of seg) re += ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${re}$`);
}

const magic = (s: string) => s.includes('*') || s.includes('?');

export function glob(base: string, pattern: string): string[] {
  const abs = isAbsolute(pattern) ? pattern : resolve(base, pattern);
  const segs = abs.split(sep).filter((s, i) => s !== '' || i === 0);
  // the literal prefix
  let root = segs[0] === '' ? sep : segs[0]!;
  let i = 1;
  while (i < segs.length && !magic(segs[i]!)) i++;
  root = join(root, ...segs.slice(1, i));
  const rest = segs.slice(i);
  const out = new Set<string>();
  const isDir = (p: string) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  const isFile = (p: string) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  const list = (d: string) => {
    try {
      return readdirSync(d).sort();
    } catch {
      return [];
    }
  };
  const walk = (dir: string, k: number) => {
    if (k === rest.length) {
      if (isFile(dir)) out.add(dir);
      return;
    }
    const seg = rest[k]!;
    if (seg === '**') {
      walk(dir, k + 1);
      for (const e of list(dir)) if (!e.startsWith('.') && isDir(join(dir, e))) walk(join(dir, e), k);
      return;
    }
    if (!magic(seg)) return walk(join(dir, seg), k + 1);
    const re = segmentRegex(seg);
    for (const e of list(dir)) if (re.test(e) && !(e.startsWith('.') && !seg.startsWith('.'))) walk(join(dir, e), k + 1);
  };
  walk(root, 0);
  return [...out].sort();
}
