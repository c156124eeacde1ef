/**
 * The tool's name and version, read from package.json once (the `--version`
 * output and the `tool` / `version` fields of every JSON output). The file is
 * found by walking up from this module, so it works from src/ (tests) and
 * from dist/src/ (the built CLI) alike.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOOL = 'mmcheck';

function readVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === TOOL && typeof pkg.version === 'string') return pkg.version;
    } catch {
      /* not here: one folder up */
    }
    dir = dirname(dir);
  }
  throw new Error(`${TOOL}: package.json not found above ${fileURLToPath(import.meta.url)}`);
}

/** package.json's version, e.g. `0.1.0`. */
export const VERSION: string = readVersion();

/** What every JSON output starts with: which tool wrote it, which version, and the schema it follows. */
export function jsonHeader(schema: string): { tool: string; version: string; schema: string } {
  return { tool: TOOL, version: VERSION, schema };
}
