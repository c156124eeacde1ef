/**
 * Trace bookkeeping: for every distinct state, its parent's number and the
 * action that first reached it (6 bytes a state). Paths are rebuilt by
 * following parents and replaying actions from the initial state.
 */

export const NO_PARENT = 0xffffffff;

export class ParentStore {
  private parents = new Uint32Array(1 << 16);
  private actions = new Uint16Array(1 << 16);
  private n = 0;

  get size(): number {
    return this.n;
  }

  /** entries the arrays hold before they grow */
  get capacity(): number {
    return this.parents.length;
  }

  get bytes(): number {
    return this.parents.byteLength + this.actions.byteLength;
  }

  /** Append a state; returns its number. For an initial state, parent = NO_PARENT and action = its init index. */
  push(parent: number, action: number): number {
    if (this.n === this.parents.length) {
      const p = new Uint32Array(this.n * 2);
      p.set(this.parents);
      this.parents = p;
      const a = new Uint16Array(this.n * 2);
      a.set(this.actions);
      this.actions = a;
    }
    this.parents[this.n] = parent;
    this.actions[this.n] = action;
    return this.n++;
  }

  /** The first `count` entries, for a checkpoint: views, valid until the next push (capacity: restored as is, so `bytes` stays the same). */
  exportEntries(count = this.n): { parents: Uint32Array; actions: Uint16Array; capacity: number } {
    const c = Math.min(count, this.n);
    return { parents: this.parents.subarray(0, c), actions: this.actions.subarray(0, c), capacity: this.parents.length };
  }

  /** Replace the contents with entries from exportEntries. */
  importEntries(parents: Uint32Array, actions: Uint16Array, capacity: number): void {
    const cap = Math.max(capacity, parents.length, 1);
    this.parents = new Uint32Array(cap);
    this.parents.set(parents);
    this.actions = new Uint16Array(cap);
    this.actions.set(actions);
    this.n = parents.length;
  }

  /** The initial state's index and the actions leading from it to state `id`. */
  pathTo(id: number): { init: number; actions: number[] } {
    const acts: number[] = [];
    let cur = id;
    while (this.parents[cur] !== NO_PARENT) {
      acts.push(this.actions[cur]!);
      cur = this.parents[cur]!;
    }
    acts.reverse();
    return { init: this.actions[cur]!, actions: acts };
  }
}
