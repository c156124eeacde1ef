/**
 * A small, strict XML 1.0 well-formedness parser for the JUnit tests (no
 * dependency, no regular expressions on the document): one root element,
 * matching tags, quoted attributes without duplicates, only the five
 * predefined entities and character references, no raw `<` or `&` in text or
 * attributes. Throws with the offset of the first error; returns the tree.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** the element's own text, entities decoded */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

const isNameStart = (c: string) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c === '_' || c === ':';
const isNameChar = (c: string) => isNameStart(c) || (c >= '0' && c <= '9') || c === '-' || c === '.';
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

export function parseXml(src: string): XmlElement {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`XML error at offset ${i}: ${msg}`);
  };
  const peek = (s: string) => src.startsWith(s, i);
  const skipSpace = () => {
    while (i < src.length && isSpace(src[i]!)) i++;
  };
  const name = (): string => {
    if (!isNameStart(src[i] ?? '')) fail(`expected a name, found ${JSON.stringify(src[i] ?? 'EOF')}`);
    const from = i;
    while (i < src.length && isNameChar(src[i]!)) i++;
    return src.slice(from, i);
  };
  /** text up to `stop` (a single character), decoding references */
  const chars = (stop: string, inAttr: boolean): string => {
    let out = '';
    while (i < src.length && src[i] !== stop) {
      const c = src[i]!;
      if (c === '<') fail(inAttr ? "'<' in an attribute value" : 'unexpected <');
      if (c === '&') {
        const semi = src.indexOf(';', i);
        if (semi < 0) fail("'&' without ';'");
        const ref = src.slice(i + 1, semi);
        if (ref.startsWith('#x')) {
          const hex = ref.slice(2);
          if (hex === '' || [...hex].some((h) => !'0123456789abcdefABCDEF'.includes(h))) fail(`bad character reference &${ref};`);
          out += String.fromCodePoint(parseInt(hex, 16));
        } else if (ref.startsWith('#')) {
          const dec = ref.slice(1);
          if (dec === '' || [...dec].some((d) => d < '0' || d > '9')) fail(`bad character reference &${ref};`);
          out += String.fromCodePoint(parseInt(dec, 10));
        } else if (ENTITIES[ref] !== undefined) out += ENTITIES[ref];
        else fail(`unknown entity &${ref};`);
        i = semi + 1;
        continue;
      }
      const code = c.codePointAt(0)!;
      if (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') fail(`control character U+${code.toString(16)}`);
      out += c;
      i++;
    }
    return out;
  };
  const misc = () => {
    for (;;) {
      skipSpace();
      if (peek('<!--')) {
        const end = src.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (!peek('<')) fail('expected <');
    i++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      const hadSpace = i < src.length && isSpace(src[i]!);
      skipSpace();
      if (peek('/>')) {
        i += 2;
        return el;
      }
      if (peek('>')) {
        i++;
        break;
      }
      if (!hadSpace) fail('expected whitespace before an attribute');
      const a = name();
      skipSpace();
      if (!peek('=')) fail(`expected = after attribute ${a}`);
      i++;
      skipSpace();
      const q = src[i];
      if (q !== '"' && q !== "'") fail(`attribute ${a}: expected a quoted value`);
      i++;
      const v = chars(q, true);
      if (src[i] !== q) fail(`attribute ${a}: unterminated value`);
      i++;
      if (a in el.attrs) fail(`duplicate attribute ${a}`);
      el.attrs[a] = v;
    }
    for (;;) {
      if (i >= src.length) fail(`unclosed element <${el.name}>`);
      if (peek('</')) {
        i += 2;
        const n = name();
        if (n !== el.name) fail(`</${n}> closes <${el.name}>`);
        skipSpace();
        if (!peek('>')) fail('expected >');
        i++;
        return el;
      }
      if (peek('<!--')) {
        const end = src.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (peek('<![CDATA[')) {
        const end = src.indexOf(']]>', i);
        if (end < 0) fail('unterminated CDATA');
        el.text += src.slice(i + 9, end);
        i = end + 3;
      } else if (peek('<')) el.children.push(element());
      else el.text += chars('<', false);
    }
  };
  if (src.charCodeAt(0) === 0xfeff) i = 1;
  if (peek('<?xml')) {
    const end = src.indexOf('?>', i);
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  misc();
  const root = element();
  misc();
  if (i !== src.length) fail('content after the root element');
  return root;
}

/** Depth-first list of elements named `name`. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (e.name === name) out.push(e);
    e.children.forEach(walk);
  };
  walk(el);
  return out;
}
