/**
 * The scenario (litmus) file parser: text -> Scenario, syntax only. Nothing
 * here knows a model; compile.ts resolves operations, eras, properties and
 * fields against one. Every error is a ScenarioError whose message reads
 * `file:line:col: message` (1-based line and column).
 *
 * Grammar (models/scenarios/README has the long version):
 *
 *   file     := 'MM' NAME header item*
 *   header   := '(*' ... '*)'            lines ` * Result: VERDICT [era=ID[,ID...]] [variant=NAME[,NAME...]] [property=NAME]`,
 *                                        trailers `Link:`, `Fixes:`, `Source:`, and prose
 *   item     := init | actor | era | variant | check | condition
 *   init     := '{' (KEY '=' VALUE ';')* '}'          at most one; KEY may be dotted (set.reuse, bounds.refs)
 *   actor    := NAME '{' (OP '(' [ARG] ')' ';')* '}'  ARG: INT, INT..INT, or NAME (fork(P1), split_huge_page(F0))
 *   era      := 'era' ID+                              on one line
 *   variant  := 'variant' NAME (KEY '=' VALUE)+         on one line: a configuration on top of the { } block
 *   check    := 'check' NAME (','? NAME)*              on one line
 *   condition:= ('exists' | '~exists' | 'forall') '(' cond ')'
 *   cond     := conj ('\/' conj)* ; conj := unary ('/\' unary)* ;
 *   unary    := '~' unary | '(' cond ')' | FIELD ('=' | '<>') VALUE
 *
 * Comments `(* ... *)` may appear anywhere after the header.
 */
import { UsageError } from '../model.js';
import { MAX_PROCESSES, MAX_STATEMENTS } from './program.js';

/** Bounds on a condition, so that no input can overflow the stack of the parser or of what walks the tree. */
export const MAX_CONDITION_DEPTH = 100;
export const MAX_CONDITION_TERMS = 1000;

export interface Loc {
  line: number;
  col: number;
}

/** A bad scenario file: `file:line:col: message`, exit 2. */
export class ScenarioError extends UsageError {
  constructor(
    readonly file: string,
    readonly loc: Loc,
    readonly detail: string,
  ) {
    super(`${file}:${loc.line}:${loc.col}: ${detail}`);
    this.name = 'ScenarioError';
  }
}

export interface Decl {
  key: string;
  value: string;
  loc: Loc;
  valueLoc: Loc;
}

export interface Stmt {
  op: string;
  /** the argument as written, normalised: `2`, `2..3`, `F0`, `P1`; null for `op()` */
  arg: string | null;
  loc: Loc;
  argLoc: Loc;
  /** `op(arg)` */
  text: string;
}

export interface Variant {
  name: string;
  loc: Loc;
  decls: Decl[];
}

export interface Actor {
  name: string;
  loc: Loc;
  stmts: Stmt[];
}

export const VERDICTS = ['Never', 'Sometimes', 'Always', 'holds', 'violated', 'reached', 'unreached'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface ResultLine {
  verdict: Verdict;
  /** null: every era the file runs */
  eras: { id: string; loc: Loc }[] | null;
  /** null: every variant the file runs */
  variants: { id: string; loc: Loc }[] | null;
  /** null: every check of the file; 'condition' names the exists/forall clause */
  property: { name: string; loc: Loc } | null;
  loc: Loc;
}

export type Cond =
  | { t: 'and' | 'or'; a: Cond; b: Cond }
  | { t: 'not'; a: Cond }
  | { t: 'cmp'; field: string; eq: boolean; value: string; loc: Loc };

export type Quantifier = 'exists' | '~exists' | 'forall';

export interface Condition {
  quantifier: Quantifier;
  cond: Cond;
  /** the clause as written, whitespace collapsed */
  text: string;
  loc: Loc;
}

export interface Scenario {
  file: string;
  name: string;
  nameLoc: Loc;
  /** the header's prose (Result and trailer lines removed) */
  description: string;
  results: ResultLine[];
  /** Link:, Fixes:, Source: lines of the header, in order */
  trailers: { key: string; value: string }[];
  init: Decl[];
  initLoc: Loc | null;
  actors: Actor[];
  eras: { id: string; loc: Loc }[];
  /** named configurations, each run (per era) with its declarations on top of the { } block */
  variants: Variant[];
  checks: { name: string; loc: Loc }[];
  condition: Condition | null;
  /** where the file ends (for errors about something missing) */
  endLoc: Loc;
}

/** The pseudo-property a `property=` key uses to name the exists/forall clause. */
export const CONDITION = 'condition';

const TRAILERS = ['Link', 'Fixes', 'Source', 'Reported-by', 'Suggested-by', 'Cc'];

const isIdStart = (c: string) => /[A-Za-z_]/.test(c);
const isIdChar = (c: string) => /[A-Za-z0-9_]/.test(c);
/** era ids, property names, init values: v4.6, andrea-v1, rmap-integrity, R_andrea_draft, thp-core */
const isWordChar = (c: string) => /[A-Za-z0-9_.\-+]/.test(c);
const isFieldChar = (c: string) => /[A-Za-z0-9_.[\]]/.test(c);
const isValueChar = (c: string) => c !== '' && !/[\s()/\\~;]/.test(c);

class Scanner {
  pos = 0;
  private readonly lineStarts: number[] = [0];
  constructor(
    readonly file: string,
    readonly src: string,
  ) {
    for (let i = 0; i < src.length; i++) if (src[i] === '\n') this.lineStarts.push(i + 1);
  }

  locAt(off: number): Loc {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= off) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: off - this.lineStarts[lo]! + 1 };
  }

  get loc(): Loc {
    return this.locAt(this.pos);
  }

  fail(msg: string, at: Loc | number = this.pos): never {
    throw new ScenarioError(this.file, typeof at === 'number' ? this.locAt(at) : at, msg);
  }

  peek(k = 0): string {
    return this.src[this.pos + k] ?? '';
  }

  startsWith(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  eof(): boolean {
    return this.pos >= this.src.length;
  }

  /** Skip blanks on the current line only (not newlines, not comments). */
  skipBlanks(): void {
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === '\r') this.pos++;
  }

  /** Skip whitespace and `(* ... *)` comments. */
  skip(): void {
    for (;;) {
      while (/\s/.test(this.peek()) && !this.eof()) this.pos++;
      if (this.startsWith('(*')) {
        this.comment();
        continue;
      }
      return;
    }
  }

  /** A `(* ... *)` comment at pos; returns its body's start and end offsets. */
  comment(): { from: number; to: number } {
    const start = this.pos;
    const end = this.src.indexOf('*)', this.pos + 2);
    if (end < 0) this.fail('unterminated comment: `(*` without `*)`', start);
    this.pos = end + 2;
    return { from: start + 2, to: end };
  }

  /** Read characters while pred holds; returns the text (possibly empty). */
  take(pred: (c: string) => boolean): string {
    const from = this.pos;
    while (!this.eof() && pred(this.peek())) this.pos++;
    return this.src.slice(from, this.pos);
  }

  ident(what: string): string {
    if (!isIdStart(this.peek())) this.fail(`expected ${what}, found ${this.describeHere()}`);
    return this.take(isIdChar);
  }

  expect(s: string, what = `'${s}'`): void {
    if (!this.startsWith(s)) this.fail(`expected ${what}, found ${this.describeHere()}`);
    this.pos += s.length;
  }

  describeHere(): string {
    if (this.eof()) return 'the end of the file';
    const c = this.peek();
    if (c === '\n') return 'the end of the line';
    const w = this.src.slice(this.pos).match(/^[^\s]+/)?.[0] ?? c;
    return `'${w.length > 24 ? w.slice(0, 24) + '...' : w}'`;
  }
}

export function parseScenario(file: string, text: string): Scenario {
  const sc = new Scanner(file, text);
  // 1. `MM <name>` on the first non-blank line
  while (/\s/.test(sc.peek()) && !sc.eof()) sc.pos++;
  if (!sc.startsWith('MM') || !/[ \t]/.test(sc.peek(2))) sc.fail('expected `MM <name>` on the first line (the scenario name, as `C <name>` starts a litmus test)');
  sc.pos += 2;
  sc.skipBlanks();
  const nameLoc = sc.loc;
  const name = sc.take((c) => !/\s/.test(c));
  if (name === '') sc.fail('expected the scenario name after `MM`');
  sc.skipBlanks();
  if (!sc.eof() && sc.peek() !== '\n') sc.fail(`unexpected ${sc.describeHere()} after the scenario name (names have no spaces)`);

  // 2. the header comment
  while (/\s/.test(sc.peek()) && !sc.eof()) sc.pos++;
  if (!sc.startsWith('(*')) sc.fail('expected the header comment `(* ... *)` with a ` * Result:` line after the name line');
  const headerLoc = sc.loc;
  const body = sc.comment();
  const { results, trailers, description } = parseHeader(sc, body.from, body.to);
  if (results.length === 0) sc.fail('the header comment has no ` * Result: Never|Sometimes|Always|holds|violated|reached|unreached` line', headerLoc);

  // 3. items
  const out: Scenario = {
    file, name, nameLoc, description, results, trailers,
    init: [], initLoc: null, actors: [], eras: [], variants: [], checks: [], condition: null, endLoc: { line: 1, col: 1 },
  };
  for (;;) {
    sc.skip();
    if (sc.eof()) break;
    const at = sc.pos;
    if (sc.peek() === '{') {
      if (out.initLoc) sc.fail(`a second initial-state block (the first is at line ${out.initLoc.line})`);
      out.initLoc = sc.loc;
      out.init = parseInit(sc);
      continue;
    }
    if (sc.peek() === '~' || isIdStart(sc.peek())) {
      const neg = sc.peek() === '~';
      if (neg) {
        sc.pos++;
        sc.skip();
      }
      const wordAt = sc.pos;
      const word = sc.take(isIdChar);
      if (neg && word === '') sc.fail("expected 'exists' after '~'", wordAt);
      if (neg && word !== 'exists') sc.fail("expected 'exists' after '~'", wordAt);
      if (word === 'exists' || word === 'forall') {
        if (out.condition) sc.fail(`a second final condition (the first is at line ${out.condition.loc.line}); combine them with /\\ or \\/`, at);
        out.condition = parseCondition(sc, neg ? '~exists' : (word as Quantifier), at);
        continue;
      }
      if (word === 'era') {
        const ids = lineWords(sc, 'an era id (see `mmcheck list eras`)');
        for (const e of ids) {
          const prev = out.eras.find((x) => x.id === e.id);
          if (prev) sc.fail(`era '${e.id}' is named twice (also at line ${prev.loc.line})`, e.loc);
          out.eras.push(e);
        }
        continue;
      }
      if (word === 'variant') {
        const v = parseVariant(sc);
        const prev = out.variants.find((x) => x.name === v.name);
        if (prev) sc.fail(`variant '${v.name}' is defined twice (also at line ${prev.loc.line})`, v.loc);
        out.variants.push(v);
        continue;
      }
      if (word === 'check') {
        const names = lineWords(sc, 'a property name (see `mmcheck list properties`)');
        for (const n of names) {
          if (n.id === CONDITION) sc.fail(`'${CONDITION}' names the exists/forall clause in Result lines; it is not a property to check`, n.loc);
          const prev = out.checks.find((x) => x.name === n.id);
          if (prev) sc.fail(`property '${n.id}' is checked twice (also at line ${prev.loc.line})`, n.loc);
          out.checks.push({ name: n.id, loc: n.loc });
        }
        continue;
      }
      if (word === 'locations' || word === 'filter' || word === 'predicate')
        sc.fail(`'${word}' clauses are not supported (choose decision variants with set.<point>=<variant> in the { } block)`, wordAt);
      // an actor block
      sc.pos = wordAt;
      const nameAt = sc.loc;
      const actorName = sc.ident('a process name');
      sc.skip();
      if (sc.peek() !== '{')
        sc.fail(`unexpected '${actorName}': expected a process block \`${actorName} { ... }\`, \`era\`, \`check\`, \`exists\`, \`~exists\` or \`forall\``, nameAt);
      const prev = out.actors.find((a) => a.name === actorName);
      if (prev) sc.fail(`process ${actorName} is defined twice (also at line ${prev.loc.line})`, nameAt);
      if (out.actors.length === MAX_PROCESSES) sc.fail(`more than ${MAX_PROCESSES} processes`, nameAt);
      out.actors.push({ name: actorName, loc: nameAt, stmts: parseBody(sc, actorName, nameAt) });
      continue;
    }
    sc.fail(`unexpected ${sc.describeHere()}: expected a process block \`P0 { ... }\`, the \`{ ... }\` initial state, \`era\`, \`check\`, \`exists\`, \`~exists\` or \`forall\``);
  }
  out.endLoc = sc.loc;
  validate(sc, out);
  return out;
}

/** Words up to the end of the line, separated by blanks or commas. */
function lineWords(sc: Scanner, what: string): { id: string; loc: Loc }[] {
  const out: { id: string; loc: Loc }[] = [];
  for (;;) {
    sc.skipBlanks();
    if (sc.peek() === ',') {
      sc.pos++;
      continue;
    }
    if (sc.eof() || sc.peek() === '\n' || sc.startsWith('(*')) break;
    const loc = sc.loc;
    const w = sc.take(isWordChar);
    if (w === '') sc.fail(`expected ${what}, found ${sc.describeHere()}`);
    out.push({ id: w, loc });
  }
  if (out.length === 0) sc.fail(`expected ${what} on the same line`);
  return out;
}

function parseHeader(sc: Scanner, from: number, to: number): Pick<Scenario, 'results' | 'trailers' | 'description'> {
  const results: ResultLine[] = [];
  const trailers: { key: string; value: string }[] = [];
  const prose: string[] = [];
  let off = from;
  while (off <= to) {
    let end = sc.src.indexOf('\n', off);
    if (end < 0 || end > to) end = to;
    // strip the ` * ` margin
    let p = off;
    while (p < end && (sc.src[p] === ' ' || sc.src[p] === '\t')) p++;
    if (sc.src[p] === '*' && sc.src[p + 1] !== ')') p++;
    while (p < end && (sc.src[p] === ' ' || sc.src[p] === '\t')) p++;
    const line = sc.src.slice(p, end).replace(/\s+$/, '');
    const m = line.match(/^([A-Za-z-]+):(.*)$/);
    if (m && m[1] === 'Result') results.push(parseResult(sc, p, end));
    else if (m && TRAILERS.includes(m[1]!)) trailers.push({ key: m[1]!, value: m[2]!.trim() });
    else prose.push(line);
    off = end + 1;
  }
  while (prose.length && prose[0] === '') prose.shift();
  while (prose.length && prose[prose.length - 1] === '') prose.pop();
  return { results, trailers, description: prose.join('\n') };
}

/** ` * Result: Sometimes era=andrea-v1,v4.5 property=rmap-integrity` */
function parseResult(sc: Scanner, from: number, end: number): ResultLine {
  const loc = sc.locAt(from);
  let p = from + 'Result:'.length;
  const word = (): { text: string; at: number } | null => {
    while (p < end && /\s/.test(sc.src[p]!)) p++;
    if (p >= end) return null;
    const at = p;
    while (p < end && !/\s/.test(sc.src[p]!)) p++;
    return { text: sc.src.slice(at, p), at };
  };
  const v = word();
  if (!v) sc.fail(`a Result line needs a verdict: one of ${VERDICTS.join(', ')}`, loc);
  const verdict = VERDICTS.find((x) => x.toLowerCase() === v.text.toLowerCase());
  if (!verdict) sc.fail(`unknown verdict '${v.text}' (expected one of ${VERDICTS.join(', ')})`, v.at);
  const r: ResultLine = { verdict, eras: null, variants: null, property: null, loc };
  for (let w = word(); w; w = word()) {
    const eq = w.text.indexOf('=');
    const key = eq > 0 ? w.text.slice(0, eq) : w.text;
    const val = eq > 0 ? w.text.slice(eq + 1) : '';
    const valAt = w.at + eq + 1;
    if (eq <= 0 || val === '') sc.fail(`expected era=<id> or property=<name> in the Result line, found '${w.text}'`, w.at);
    /** `a,b,c` of era= or variant=, each with its place */
    const ids = (empty: string): { id: string; loc: Loc }[] => {
      const out: { id: string; loc: Loc }[] = [];
      let at = valAt;
      for (const id of val.split(',')) {
        if (id === '') sc.fail(`${empty} in ${key}=`, at);
        out.push({ id, loc: sc.locAt(at) });
        at += id.length + 1;
      }
      return out;
    };
    if (key === 'era') {
      if (r.eras) sc.fail('era= is given twice in one Result line (list several as era=a,b)', w.at);
      r.eras = ids('empty era id');
    } else if (key === 'variant') {
      if (r.variants) sc.fail('variant= is given twice in one Result line (list several as variant=a,b)', w.at);
      r.variants = ids('empty variant name');
    } else if (key === 'property') {
      if (r.property) sc.fail('property= is given twice in one Result line (write one line per property)', w.at);
      r.property = { name: val, loc: sc.locAt(valAt) };
    } else sc.fail(`unknown key '${key}' in the Result line (expected era= or property=)`, w.at);
  }
  return r;
}

/** `variant NAME key=value key=value` (the rest of the line). */
function parseVariant(sc: Scanner): Variant {
  sc.skipBlanks();
  const loc = sc.loc;
  const name = sc.take(isWordChar);
  if (name === '') sc.fail(`expected the variant's name after 'variant', found ${sc.describeHere()}`);
  const decls: Decl[] = [];
  for (;;) {
    sc.skipBlanks();
    if (sc.eof() || sc.peek() === '\n' || sc.startsWith('(*')) break;
    const at = sc.loc;
    if (!isIdStart(sc.peek())) sc.fail(`expected key=value in variant ${name}, found ${sc.describeHere()}`);
    const key = sc.take((c) => isIdChar(c) || c === '.');
    if (key.endsWith('.') || key.includes('..')) sc.fail(`malformed key '${key}'`, at);
    sc.expect('=', `'=' after '${key}' (variant ${name} is one line of key=value pairs)`);
    const valueLoc = sc.loc;
    const value = sc.take(isWordChar);
    if (value === '') sc.fail(`expected a value for '${key}', found ${sc.describeHere()}`);
    const prev = decls.find((d) => d.key === key);
    if (prev) sc.fail(`'${key}' is set twice in variant ${name}`, at);
    decls.push({ key, value, loc: at, valueLoc });
  }
  if (decls.length === 0) sc.fail(`variant ${name} sets nothing: give key=value pairs on its line, e.g. variant ${name} set.guard=fault`, loc);
  return { name, loc, decls };
}

function parseInit(sc: Scanner): Decl[] {
  sc.expect('{');
  const out: Decl[] = [];
  for (;;) {
    sc.skip();
    if (sc.peek() === '}') {
      sc.pos++;
      return out;
    }
    if (sc.eof()) sc.fail("unterminated initial-state block: expected '}'");
    const loc = sc.loc;
    if (!isIdStart(sc.peek())) sc.fail(`expected a declaration \`key=value;\` or '}', found ${sc.describeHere()}`);
    const key = sc.take((c) => isIdChar(c) || c === '.');
    if (key.endsWith('.') || key.includes('..')) sc.fail(`malformed key '${key}'`, loc);
    sc.skip();
    sc.expect('=', `'=' after '${key}'`);
    sc.skip();
    const valueLoc = sc.loc;
    const value = sc.take(isWordChar);
    if (value === '') sc.fail(`expected a value for '${key}', found ${sc.describeHere()}`);
    sc.skip();
    sc.expect(';', `';' after ${key}=${value}`);
    const prev = out.find((d) => d.key === key);
    if (prev) sc.fail(`'${key}' is set twice (also at line ${prev.loc.line})`, loc);
    out.push({ key, value, loc, valueLoc });
  }
}

const KEYWORDS = ['era', 'variant', 'check', 'exists', 'forall', 'locations', 'filter', 'predicate'];

function parseBody(sc: Scanner, actor: string, opened: Loc): Stmt[] {
  sc.expect('{');
  const out: Stmt[] = [];
  for (;;) {
    sc.skip();
    if (sc.peek() === '}') {
      sc.pos++;
      return out;
    }
    if (sc.eof()) sc.fail(`unterminated process block ${actor} (opened at line ${opened.line}): expected '}'`);
    const loc = sc.loc;
    const word = sc.src.slice(sc.pos).match(/^[A-Za-z_][A-Za-z0-9_]*/)?.[0];
    if (word && KEYWORDS.includes(word) && (word === 'exists' || word === 'forall' || !/^\s*\(/.test(sc.src.slice(sc.pos + word.length))))
      sc.fail(`expected '}' to close process ${actor} (opened at line ${opened.line}) before '${word}'`);
    const op = sc.ident('an operation such as write(0), fork(P1) or munmap(2..3)');
    sc.skip();
    sc.expect('(', `'(' after '${op}'`);
    sc.skip();
    const argLoc = sc.loc;
    let arg: string | null = null;
    if (sc.peek() !== ')') {
      if (/[0-9]/.test(sc.peek())) {
        const a = sc.take((c) => /[0-9]/.test(c));
        sc.skip();
        if (sc.startsWith('..')) {
          sc.pos += 2;
          sc.skip();
          const bAt = sc.pos;
          const b = sc.take((c) => /[0-9]/.test(c));
          if (b === '') sc.fail(`expected the range's last subpage after '${a}..'`);
          if (Number(b) < Number(a)) sc.fail(`empty range ${a}..${b} (the first subpage is after the last)`, bAt);
          arg = Number(a) === Number(b) ? String(Number(a)) : `${Number(a)}..${Number(b)}`;
        } else arg = String(Number(a));
      } else if (isIdStart(sc.peek())) arg = sc.take(isIdChar);
      else sc.fail(`expected an argument (a subpage 2, a range 2..3, or a name like P1 or F0), found ${sc.describeHere()}`);
      sc.skip();
      if (sc.peek() === ',') sc.fail(`${op} takes at most one argument`);
    }
    sc.expect(')', `')' to close ${op}(`);
    sc.skip();
    sc.expect(';', `';' after ${op}(${arg ?? ''})`);
    if (out.length === MAX_STATEMENTS) sc.fail(`process ${actor} has more than ${MAX_STATEMENTS} statements`, loc);
    out.push({ op, arg, loc, argLoc, text: `${op}(${arg ?? ''})` });
  }
}

/** Where a condition's parse stands: how deep in parentheses and negations, how many comparisons so far. */
interface CondParse {
  sc: Scanner;
  depth: number;
  terms: number;
}

function parseCondition(sc: Scanner, quantifier: Quantifier, at: number): Condition {
  sc.skip();
  if (sc.peek() !== '(') sc.fail(`expected '(' after ${quantifier}`);
  const from = sc.pos;
  const cond = parseUnary({ sc, depth: 0, terms: 0 });
  const text = `${quantifier} ${sc.src.slice(from, sc.pos).replace(/\s+/g, ' ')}`;
  return { quantifier, cond, text, loc: sc.locAt(at) };
}

function parseOr(p: CondParse): Cond {
  let a = parseAnd(p);
  for (;;) {
    p.sc.skip();
    if (!p.sc.startsWith('\\/')) return a;
    p.sc.pos += 2;
    a = { t: 'or', a, b: parseAnd(p) };
  }
}

function parseAnd(p: CondParse): Cond {
  let a = parseUnary(p);
  for (;;) {
    p.sc.skip();
    if (!p.sc.startsWith('/\\')) return a;
    p.sc.pos += 2;
    a = { t: 'and', a, b: parseUnary(p) };
  }
}

function parseUnary(p: CondParse): Cond {
  const sc = p.sc;
  sc.skip();
  if (sc.peek() === '~' || sc.peek() === '(') {
    if (p.depth >= MAX_CONDITION_DEPTH) sc.fail(`the condition nests deeper than ${MAX_CONDITION_DEPTH} levels of '(' and '~'`);
    p.depth++;
    let c: Cond;
    if (sc.peek() === '~') {
      sc.pos++;
      c = { t: 'not', a: parseUnary(p) };
    } else {
      sc.pos++;
      c = parseOr(p);
      sc.skip();
      sc.expect(')', "')' or a connective /\\ \\/");
    }
    p.depth--;
    return c;
  }
  const loc = sc.loc;
  if (++p.terms > MAX_CONDITION_TERMS) sc.fail(`the condition has more than ${MAX_CONDITION_TERMS} comparisons`);
  if (!isIdStart(sc.peek())) sc.fail(`expected a field such as F0.mapping or P1.pte[2], '~' or '(', found ${sc.describeHere()}`);
  const field = sc.take(isFieldChar);
  sc.skip();
  let eq: boolean;
  if (sc.startsWith('<>')) eq = false;
  else if (sc.startsWith('=')) eq = true;
  else return sc.fail(`expected '=' or '<>' after ${field}, found ${sc.describeHere()}`);
  sc.pos += eq ? 1 : 2;
  sc.skip();
  const value = sc.take(isValueChar);
  if (value === '') sc.fail(`expected a value after ${field} ${eq ? '=' : '<>'}, found ${sc.describeHere()}`);
  return { t: 'cmp', field, eq, value, loc };
}

/** Checks that need no model: processes, forks, Result lines against the file's own eras and checks. */
function validate(sc: Scanner, s: Scenario): void {
  if (s.actors.length === 0) sc.fail('no process block: add one, e.g. `P0 { write(0); }`', s.endLoc);
  if (s.checks.length === 0 && !s.condition) sc.fail('nothing to check: add `check <property>` and/or an `exists (...)` condition', s.endLoc);
  const names = new Set(s.actors.map((a) => a.name));
  const forkedAt = new Map<string, Loc>();
  for (const a of s.actors)
    for (const st of a.stmts) {
      if (st.op !== 'fork') continue;
      if (st.arg === null) sc.fail(`fork needs the child's process: fork(P1)`, st.argLoc);
      if (!names.has(st.arg)) sc.fail(`unknown process '${st.arg}' (processes: ${[...names].join(', ')})`, st.argLoc);
      if (st.arg === s.actors[0]!.name) sc.fail(`${st.arg} is the first process: it runs from the start and cannot be forked`, st.argLoc);
      if (st.arg === a.name) sc.fail(`${a.name} cannot fork itself`, st.argLoc);
      const prev = forkedAt.get(st.arg);
      if (prev) sc.fail(`${st.arg} is already started by the fork at line ${prev.line}`, st.argLoc);
      forkedAt.set(st.arg, st.argLoc);
    }
  // every forked process must be started by a process that starts
  const started = new Set(s.actors.filter((a) => !forkedAt.has(a.name)).map((a) => a.name));
  for (let grew = true; grew; ) {
    grew = false;
    for (const a of s.actors)
      if (started.has(a.name))
        for (const st of a.stmts)
          if (st.op === 'fork' && st.arg && !started.has(st.arg)) {
            started.add(st.arg);
            grew = true;
          }
  }
  for (const a of s.actors) if (!started.has(a.name)) sc.fail(`process ${a.name} never starts: the only fork of it is in a process that never starts`, a.loc);
  // Result lines: eras and properties must be ones this file runs
  for (const r of s.results) {
    if (r.eras)
      for (const e of r.eras)
        if (!s.eras.some((x) => x.id === e.id))
          sc.fail(s.eras.length ? `era '${e.id}' is not run by this file (its era lines name ${s.eras.map((x) => x.id).join(', ')})` : `era '${e.id}': this file has no \`era\` lines`, e.loc);
    if (r.variants)
      for (const v of r.variants)
        if (!s.variants.some((x) => x.name === v.id))
          sc.fail(s.variants.length ? `variant '${v.id}' is not run by this file (its variant lines name ${s.variants.map((x) => x.name).join(', ')})` : `variant '${v.id}': this file has no \`variant\` lines`, v.loc);
    if (r.property) {
      const p = r.property.name;
      if (p === CONDITION) {
        if (!s.condition) sc.fail(`property=${CONDITION}, but the file has no exists/forall condition`, r.property.loc);
      } else if (!s.checks.some((c) => c.name === p))
        sc.fail(`property '${p}' is not checked by this file (add it to a \`check\` line)`, r.property.loc);
    }
  }
}
