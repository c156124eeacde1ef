/**
 * The immutable library, loaded on its first use. A search never needs it (only decoded states do:
 * traces, diffs, reports), and an ESM import of its CommonJS build made every process and every worker
 * thread parse its 212 KB for named exports first (cjs-module-lexer): 36-38 ms a thread.
 */
import { createRequire } from 'node:module';

type Immutable = typeof import('immutable');
let lib: Immutable | null = null;

export function immutable(): Immutable {
  return (lib ??= createRequire(import.meta.url)('immutable') as Immutable);
}
