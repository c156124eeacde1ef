/**
 * State layout: a packed Uint8Array described by a table of named fields.
 * Models read and write the vector through offsets taken from the table
 * (hot path); decode() turns a vector into named values (traces, JSON).
 */

export type FieldKind = 'u8' | 'raw';
/** `raw` fields hold the kernel's -1-based counters: stored value = raw + 1. */

export interface Field {
  readonly name: string;
  readonly offset: number;
  readonly kind: FieldKind;
  /** human meaning, shown by `mmcheck list` and in docs */
  readonly doc: string;
  /** optional pretty-printer for decoded values */
  readonly format?: (v: number) => string;
}

export class Layout {
  private readonly fields: Field[] = [];
  private size = 0;

  /** Add an unsigned byte field; returns its offset. */
  u8(name: string, doc = '', format?: (v: number) => string): number {
    return this.add(name, 'u8', doc, format);
  }

  /** Add a -1-based kernel counter (stored +1); returns its offset. */
  raw(name: string, doc = ''): number {
    return this.add(name, 'raw', doc);
  }

  /** Add `count` consecutive fields named `name[i]`; returns the first offset. */
  array(name: string, count: number, kind: FieldKind, doc = '', format?: (v: number) => string): number {
    const first = this.size;
    for (let i = 0; i < count; i++) this.add(name.replace('[]', `[${i}]`), kind, doc, format);
    return first;
  }

  private add(name: string, kind: FieldKind, doc: string, format?: (v: number) => string): number {
    if (this.fields.some((f) => f.name === name)) throw new Error(`layout: duplicate field ${name}`);
    const offset = this.size++;
    this.fields.push({ name, offset, kind, doc, format });
    return offset;
  }

  /** Bytes per state, rounded up to a multiple of 4 so fingerprints can read words. */
  get bytes(): number {
    return Math.max(4, (this.size + 3) & ~3);
  }

  get fieldCount(): number {
    return this.size;
  }

  get table(): readonly Field[] {
    return this.fields;
  }

  /** Value of one field as the kernel sees it (raw fields are -1-based). */
  value(s: Uint8Array, f: Field): number {
    return f.kind === 'raw' ? s[f.offset]! - 1 : s[f.offset]!;
  }
}

/** Read a raw (-1-based) counter stored at offset o. */
export function rawGet(s: Uint8Array, o: number): number {
  return s[o]! - 1;
}

/** Write a raw (-1-based) counter at offset o; a value below -1 cannot be stored. */
export function rawSet(s: Uint8Array, o: number, v: number): void {
  s[o] = v + 1;
}
