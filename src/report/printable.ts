/**
 * Text that came from a user's file (scenario names, file names, a quoted
 * token in an error message) is printed with its control characters escaped,
 * so that a name cannot move the cursor, recolour the terminal or split one
 * error line into several.
 */

/** C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const esc = (c: string): string => {
  const n = c.charCodeAt(0);
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
};

/** `a\x1b[31mb` for a string holding ESC: every control character as a visible escape. */
export function printable(s: string): string {
  return s.replace(CONTROL, esc);
}

/** One line of a multi-line table or trace: tabs kept, every other control character escaped. */
export function printableCell(s: string): string {
  return s.replace(CONTROL, (c) => (c === '\t' ? c : esc(c)));
}

/**
 * A value from a user's file, briefly, for an error message: a string quoted (and cut), a number as is, a
 * list or object by its kind. Never JSON.stringify of the whole value: a value nested 10,000 deep
 * overflows the stack there.
 */
export function brief(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (Array.isArray(v)) return v.length === 0 ? '[]' : v.every((x) => typeof x !== 'object' || x === null) && v.length <= 8 ? `[${v.map(brief).join(', ')}]` : `a list of ${v.length}`;
  if (typeof v === 'object' && v !== null) return Object.keys(v).length === 0 ? '{}' : 'an object';
  return String(v);
}
