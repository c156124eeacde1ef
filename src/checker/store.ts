/**
 * Trace bookkeeping: for every distinct state, its parent's number and the
 * action that first reached it. Paths are rebuilt by following parents and
 * replaying actions from the initial state.
 *
 * Packed: one 32-bit word a state, (parent + 1) in the high bits and the
 * action in the low `actionBits` (enough for the model's alphabet), in chunks
 * of 16k words (no doubling, so no slack beyond the last chunk). When a state
 * number no longer fits beside the action bits, the store widens itself to
 * 6 bytes a state (a 32-bit parent and a 16-bit action). Initial states have
 * parent NO_PARENT and their init index as action.
 */

export const NO_PARENT = 0xffffffff;

const CHUNK_BITS = 14;
const CHUNK = 1 << CHUNK_BITS;

export class ParentStore {
  private words: Uint32Array[] = [];
  private acts: Uint16Array[] | null = null; // wide mode: actions here, parents in `words`
  private n = 0;
  private readonly amask: number;
  private readonly maxPacked: number;

  /** `actionCount`: the size of the model's action alphabet (and at least the number of initial states). */
  constructor(actionCount = 1 << 16) {
    let b = 1;
    while (1 << b < actionCount) b++;
    this.amask = (1 << b) - 1;
    this.maxPacked = 2 ** (32 - b) - 1; // parent + 1 must stay below this
  }

  get size(): number {
    return this.n;
  }

  /** entries the chunks allocated so far hold */
  get capacity(): number {
    return this.words.length * CHUNK;
  }

  get bytes(): number {
    return this.words.length * CHUNK * 4 + (this.acts ? this.acts.length * CHUNK * 2 : 0);
  }

  /** bytes a state costs in the current mode */
  get bytesPerEntry(): number {
    return this.acts ? 6 : 4;
  }

  /** Append a state; returns its number. For an initial state, parent = NO_PARENT and action = its init index. */
  push(parent: number, action: number): number {
    const id = this.n;
    if ((id & (CHUNK - 1)) === 0) {
      this.words.push(new Uint32Array(CHUNK));
      if (this.acts) this.acts.push(new Uint16Array(CHUNK));
    }
    const p1 = parent === NO_PARENT ? 0 : parent + 1;
    if (!this.acts && (p1 >= this.maxPacked || action > this.amask)) this.widen();
    const c = this.words[id >>> CHUNK_BITS]!;
    const i = id & (CHUNK - 1);
    if (this.acts) {
      c[i] = p1 === 0 ? NO_PARENT : parent;
      this.acts[id >>> CHUNK_BITS]![i] = action;
    } else c[i] = p1 * (this.amask + 1) + action;
    return this.n++;
  }

  /**
   * The first `count` entries, for a checkpoint, decoded to one parent and
   * one action each; `capacity` is the entries allocated (restored by
   * re-pushing, which allocates the same chunks and widens at the same point).
   */
  exportEntries(count = this.n): { parents: Uint32Array; actions: Uint16Array; capacity: number } {
    const c = Math.min(count, this.n);
    const parents = new Uint32Array(c);
    const actions = new Uint16Array(c);
    for (let i = 0; i < c; i++) {
      parents[i] = this.parentOf(i);
      actions[i] = this.actionOf(i);
    }
    return { parents, actions, capacity: this.capacity };
  }

  /** Replace the contents with entries from exportEntries. */
  importEntries(parents: Uint32Array, actions: Uint16Array, _capacity: number): void {
    this.words = [];
    this.acts = null;
    this.n = 0;
    for (let i = 0; i < parents.length; i++) this.push(parents[i]!, actions[i]!);
  }

  parentOf(id: number): number {
    const w = this.words[id >>> CHUNK_BITS]![id & (CHUNK - 1)]!;
    if (this.acts) return w;
    const p1 = Math.floor(w / (this.amask + 1));
    return p1 === 0 ? NO_PARENT : p1 - 1;
  }

  actionOf(id: number): number {
    if (this.acts) return this.acts[id >>> CHUNK_BITS]![id & (CHUNK - 1)]!;
    return this.words[id >>> CHUNK_BITS]![id & (CHUNK - 1)]! & this.amask;
  }

  /** The initial state's index and the actions leading from it to state `id`. */
  pathTo(id: number): { init: number; actions: number[] } {
    const acts: number[] = [];
    let cur = id;
    for (;;) {
      const p = this.parentOf(cur);
      if (p === NO_PARENT) break;
      acts.push(this.actionOf(cur));
      cur = p;
    }
    acts.reverse();
    return { init: this.actionOf(cur), actions: acts };
  }

  private widen(): void {
    const q = this.amask + 1;
    this.acts = this.words.map((c) => {
      const a = new Uint16Array(CHUNK);
      for (let i = 0; i < CHUNK; i++) {
        const w = c[i]!;
        const p1 = Math.floor(w / q);
        a[i] = w & this.amask;
        c[i] = p1 === 0 ? NO_PARENT : p1 - 1;
      }
      return a;
    });
  }
}
