/**
 * Matrix scenario globs, by tinyglobby (Node 20 has no fs.glob): `*` and
 * `?` within a path segment, `**` across folders, dot files only when the
 * pattern names them. Relative patterns resolve against `base`. Results are
 * absolute, sorted, files only, and each file once: a symlink loop or a
 * second path to the same file does not run it again.
 */
import { realpathSync } from 'node:fs';
import { globSync } from 'tinyglobby';

export function glob(base: string, pattern: string): string[] {
  const found = globSync([pattern], { cwd: base, absolute: true, onlyFiles: true, expandDirectories: false, dot: false }).sort();
  const seen = new Set<string>();
  return found.filter((f) => {
    let real: string;
    try {
      real = realpathSync(f);
    } catch {
      return false;
    }
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  });
}
