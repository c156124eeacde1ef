/**
 * A piscina pool of expanders for the merged parallel bfs (runs that may stop
 * mid-level; the others are phased.ts's). Functions never cross threads: a
 * task is (modelId, config, property filter, slice of packed states); each
 * worker rebuilds the model from the registry once and keeps it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Piscina as PiscinaPool } from 'piscina';
import { Piscina } from './piscina.js';
import type { SliceResult } from './expand.js';
import { unpackSlice } from './wire.js';

export interface ModelSpec {
  modelId: string;
  config: unknown;
}

export interface ExpandTask {
  modelId: string;
  configJson: string;
  only: string[] | null;
  slice: ArrayBuffer;
  count: number;
  /** properties whose first finding is known: not checked again */
  found: Uint32Array | null;
}

/** The package root (the folder with mmcheck's package.json), from this file's location. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'mmcheck') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('mmcheck: cannot find the package root');
    dir = up;
  }
}

export class PoolExpander {
  private readonly pool: PiscinaPool;
  private readonly configJson: string;

  constructor(private readonly spec: ModelSpec, readonly workers: number, private readonly only: string[] | null) {
    const file = join(packageRoot(), 'dist', 'workers', 'expand.js');
    if (!existsSync(file)) throw new Error(`worker entry ${file} is missing: run \`npm run build\``);
    this.configJson = JSON.stringify(spec.config ?? {});
    this.pool = new (Piscina())({ filename: file, minThreads: workers, maxThreads: workers, idleTimeout: 60_000 });
  }

  async expand(slice: Uint8Array, count: number, found: Uint32Array | null = null): Promise<SliceResult> {
    const copy = slice.slice().buffer as ArrayBuffer;
    const task: ExpandTask = { modelId: this.spec.modelId, configJson: this.configJson, only: this.only, slice: copy, count, found };
    const buf = (await this.pool.run(task, { transferList: [copy] })) as ArrayBuffer;
    return unpackSlice(buf);
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
