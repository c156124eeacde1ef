/**
 * piscina, loaded when the first pool is made: most runs never start threads (1 worker, or parallel
 * runs shorter than POOL_AFTER_MS), and an ESM import of its CommonJS build cost every process 15 ms
 * (its index and every module it requires, each parsed for named exports first).
 */
import { createRequire } from 'node:module';
import type { Piscina as PiscinaClass } from 'piscina';

let lib: typeof PiscinaClass | null = null;

export function Piscina(): typeof PiscinaClass {
  return (lib ??= (createRequire(import.meta.url)('piscina') as { Piscina: typeof PiscinaClass }).Piscina);
}
