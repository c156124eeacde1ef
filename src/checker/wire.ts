/**
 * One transferable buffer per expanded slice, so a worker's result crosses
 * threads without copying: header, cover counts, per-successor records, states.
 */
import { META_FIXED, type SliceResult } from './expand.js';

const HEADER_WORDS = 6; // count, maskWords, coverLen, stateBytes, parents, dropped

export function packSlice(r: SliceResult, stateBytes: number): ArrayBuffer {
  const coverBytes = r.cover.length * 8;
  const metaBytes = r.meta.byteLength;
  const pmBytes = r.parentMasks.byteLength;
  const head = HEADER_WORDS * 4;
  const total = head + coverBytes + metaBytes + pmBytes + r.states.byteLength;
  const buf = new ArrayBuffer((total + 7) & ~7);
  const h = new Uint32Array(buf, 0, HEADER_WORDS);
  h[0] = r.count;
  h[1] = r.maskWords;
  h[2] = r.cover.length;
  h[3] = stateBytes;
  h[4] = r.parentMasks.length / Math.max(1, r.maskWords);
  h[5] = r.dropped;
  new Float64Array(buf, head, r.cover.length).set(r.cover);
  new Uint32Array(buf, head + coverBytes, r.meta.length).set(r.meta);
  new Uint32Array(buf, head + coverBytes + metaBytes, r.parentMasks.length).set(r.parentMasks);
  new Uint8Array(buf, head + coverBytes + metaBytes + pmBytes, r.states.byteLength).set(r.states);
  return buf;
}

export function unpackSlice(buf: ArrayBuffer): SliceResult {
  const h = new Uint32Array(buf, 0, HEADER_WORDS);
  const count = h[0]!;
  const mw = h[1]!;
  const coverLen = h[2]!;
  const n = h[3]!;
  const parents = h[4]!;
  const head = HEADER_WORDS * 4;
  const cover = new Float64Array(buf, head, coverLen);
  const metaLen = count * (META_FIXED + mw);
  const meta = new Uint32Array(buf, head + coverLen * 8, metaLen);
  const parentMasks = new Uint32Array(buf, head + coverLen * 8 + metaLen * 4, parents * mw);
  const states = new Uint8Array(buf, head + coverLen * 8 + metaLen * 4 + parents * mw * 4, count * n);
  return { count, maskWords: mw, meta, states, cover, parentMasks, dropped: h[5]! };
}
