/**
 * A hand-checkable toy model for the property kinds the registry fixtures do
 * not exercise (action properties, kernel assertions). Main-thread searches
 * only: workers rebuild models from models/registry.ts, where this is absent.
 *
 * One counter x in 0..4. Actions:
 *   0 inc   x < 4       -> x + 1   (fires `no-inc-at-3` via ctx.fail when x == 3)
 *   1 dbl   1 <= x <= 2 -> 2x
 *   2 poke  x == 3      -> x = 7, and fires the kernel assertion `no-bug`
 * Properties:
 *   0 below-4        always            x < 4
 *   1 no-dbl-from-2  action (check)    not (dbl from x == 2)
 *   2 no-bug         kernel-assertion  (poke)
 *   3 reached-3      sometimes         x == 3
 *   4 no-inc-at-3    action (ctx.fail) (inc from x == 3)
 *
 * By hand: reachable {0,1,2,3,4} (x = 7 only follows a kernel assertion, so it
 * is never a state): 5 distinct; transitions 0:inc 1:inc,dbl 2:inc,dbl
 * 3:inc,poke = 7; BFS levels {0} {1} {2} {3,4}.
 */
import type { Model, StepContext } from '../../src/model.js';
import type { Property } from '../../src/property.js';
import { Layout } from '../../src/state/layout.js';
import { decodeLayout } from '../../src/state/decode.js';

export function createToy(): Model {
  const layout = new Layout();
  const X = layout.u8('x', 'the counter');
  const properties: Property[] = [
    { name: 'below-4', kind: 'always', description: 'x stays below 4', check: (s: Uint8Array) => s[X]! < 4 },
    { name: 'no-dbl-from-2', kind: 'action', description: 'never double from 2', check: (pre: Uint8Array, a: number) => !(a === 1 && pre[X] === 2) },
    { name: 'no-bug', kind: 'kernel-assertion', description: 'poke is a BUG_ON' },
    { name: 'reached-3', kind: 'sometimes', description: 'x reaches 3', check: (s: Uint8Array) => s[X] === 3 },
    { name: 'no-inc-at-3', kind: 'action', description: 'never increment from 3' },
  ];
  const names = ['inc', 'dbl', 'poke'];
  return {
    id: 'toy',
    layout,
    stateBytes: layout.bytes,
    actionCount: 3,
    properties,
    coverPoints: ['inc', 'dbl', 'poke'],
    summary: {},
    initStates: () => [new Uint8Array(layout.bytes)],
    apply(src: Uint8Array, a: number, dst: Uint8Array, ctx: StepContext): boolean {
      const x = src[X]!;
      if (a === 0) {
        if (x >= 4) return false;
        dst.set(src);
        dst[X] = x + 1;
        if (x === 3) ctx.fail(4);
      } else if (a === 1) {
        if (x < 1 || x > 2) return false;
        dst.set(src);
        dst[X] = 2 * x;
      } else {
        if (x !== 3) return false;
        dst.set(src);
        dst[X] = 7;
        ctx.fail(2);
      }
      ctx.cover(a);
      return true;
    },
    describe: (a) => ({ name: names[a]!, args: {}, kernel: `toy_${names[a]}` }),
    decode: (s) => decodeLayout(layout, s),
  };
}
