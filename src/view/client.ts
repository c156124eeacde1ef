/**
 * The browser side of `--html` pages and of `mmcheck explore` (harness code, no kernel counterpart).
 *
 * viewerClient() is never called in Node: its source text (Function.prototype.toString, as tsc or the
 * test runner compiled it) is inlined into the page, so a page needs no other file, no bundle and no
 * network. It must therefore refer to nothing outside its own body.
 *
 * A state is drawn from its decoded fields alone (`entity.field` names, e.g. mm0.pte[2], F0._refcount,
 * gup0.page, kvm.ept[1]): every field appears in its entity's table, so fields a model adds show up
 * without a change here, and the THP model's entities (mms, folios, small pages, GUP holders, the EPT)
 * are also drawn as a picture: page tables on the left, pages on the right, an arrow per mapping.
 */
export function viewerClient(): void {
  type Val = number | string;
  type State = Record<string, Val>;
  interface Change {
    field: string;
    from: Val;
    to: Val;
  }
  interface Step {
    action: string;
    args: Record<string, Val>;
    kernel: string;
    branches?: string[];
    reads?: string[];
    changes: Change[];
    fired: string[];
  }
  interface Trace {
    model: string;
    property: string;
    kind: string;
    why?: string;
    steps: Step[];
    initial: State;
    final: State;
  }
  interface TraceEntry {
    title: string;
    group: string;
    trace: Trace;
    states?: State[];
  }
  interface PageData {
    mode: 'trace' | 'explore';
    title: string;
    subtitle?: string[];
    docs?: Record<string, string>;
    traces?: TraceEntry[];
    note?: string;
  }
  interface Marks {
    changed: Set<string>;
    read: Set<string>;
    prev: State | null;
  }
  type Kid = Node | string | null | undefined | false;

  const data = JSON.parse(document.getElementById('mmcheck-data')!.textContent!) as PageData;
  const SVGNS = 'http://www.w3.org/2000/svg';

  function el(tag: string, attrs: Record<string, string | undefined> = {}, ...kids: Kid[]): HTMLElement {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, v);
    for (const c of kids) if (c !== null && c !== undefined && c !== false) e.append(c);
    return e;
  }
  function sv(tag: string, attrs: Record<string, string | number | undefined> = {}, text?: string): SVGElement {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  const labelOf = (s: { action: string; args: Record<string, Val> }): string =>
    `${s.action}(${Object.entries(s.args)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')})`;
  const docOf = (field: string): string | undefined => data.docs?.[field.replace(/\[\d+\]/g, '[]')];

  /** `mm0.pte[2]` -> entity mm0, base pte, index 2; a name without a dot belongs to the global entity. */
  function parts(field: string): { ent: string; base: string; idx: number } {
    const dot = field.indexOf('.');
    const ent = dot > 0 ? field.slice(0, dot) : '(global)';
    const rest = dot > 0 ? field.slice(dot + 1) : field;
    const m = /^(.*)\[(\d+)\]$/.exec(rest);
    return m ? { ent, base: m[1]!, idx: Number(m[2]) } : { ent, base: rest, idx: -1 };
  }
  function kindOf(ent: string): string {
    if (/^mm\d+$/.test(ent)) return 'mm';
    if (/^F\d+$/.test(ent)) return 'folio';
    if (/^S\d+$/.test(ent)) return 'small';
    if (/^gup\d+$/.test(ent)) return 'gup';
    if (ent === 'kvm') return 'kvm';
    return 'other';
  }
  const KIND_TITLE: Record<string, string> = {
    mm: 'mm_struct: its VMA and page table',
    folio: 'THP folio: struct page counters',
    small: 'small page',
    gup: 'GUP reference holder',
    kvm: 'KVM: EPT leaves and the in-flight fault',
    other: '',
  };
  function entities(st: State): { name: string; kind: string; fields: string[] }[] {
    const out = new Map<string, string[]>();
    for (const f of Object.keys(st)) {
      const e = parts(f).ent;
      if (!out.has(e)) out.set(e, []);
      out.get(e)!.push(f);
    }
    return [...out].map(([name, fields]) => ({ name, kind: kindOf(name), fields }));
  }

  /** The states of a trace: embedded by the writer, else rebuilt from the initial state and each step's changes. */
  function statesOf(t: TraceEntry): State[] {
    if (t.states) return t.states;
    const out: State[] = [{ ...t.trace.initial }];
    for (const s of t.trace.steps) {
      const next: State = { ...out[out.length - 1]! };
      for (const c of s.changes) {
        if (c.to === '-') delete next[c.field];
        else next[c.field] = c.to;
      }
      out.push(next);
    }
    out[out.length - 1] = { ...t.trace.final };
    return out;
  }

  function marksOf(step: Step | null, prev: State | null, st: State): Marks {
    const read = new Set<string>();
    for (const r of step?.reads ?? []) {
      // a read names a field, maybe followed by what was read (`F0._mapcount[2] = 0`)
      const m = /^[^\s=:]+/.exec(r);
      if (m && m[0] in st) read.add(m[0]);
      else if (r in st) read.add(r);
    }
    return { changed: new Set((step?.changes ?? []).map((c) => c.field)), read, prev };
  }

  function valCell(field: string, v: Val, mk: Marks): HTMLElement {
    const cls = ['v', mk.changed.has(field) ? 'chg' : '', mk.read.has(field) ? 'read' : ''].filter(Boolean).join(' ');
    const was = mk.changed.has(field) && mk.prev ? ` (was ${mk.prev[field] ?? '-'})` : '';
    const doc = docOf(field);
    return el('td', { class: cls, 'data-field': field, title: `${field}${doc ? `: ${doc}` : ''}${was}` }, String(v));
  }

  /** Every field of the state, one table per entity (the counters with their kernel names and raw values). */
  function tables(st: State, mk: Marks): HTMLElement {
    const wrap = el('div', { class: 'cards' });
    for (const e of entities(st)) {
      const groups: { base: string; fields: string[] }[] = [];
      for (const f of e.fields) {
        const p = parts(f);
        const key = p.idx >= 0 ? `${p.base}[]` : p.base;
        const g = groups.find((x) => x.base === key);
        if (g) g.fields.push(f);
        else groups.push({ base: key, fields: [f] });
      }
      const t = el('table', { class: 'kv' });
      for (const g of groups) {
        const th = el('th', { title: docOf(g.fields[0]!) }, g.base);
        if (!g.base.endsWith('[]')) {
          t.append(el('tr', {}, th, valCell(g.fields[0]!, st[g.fields[0]!]!, mk)));
          continue;
        }
        const idx = el('tr', { class: 'idx' }, ...g.fields.map((f) => el('td', {}, String(parts(f).idx))));
        const vals = el('tr', {}, ...g.fields.map((f) => valCell(f, st[f]!, mk)));
        t.append(el('tr', {}, th, el('td', {}, el('table', { class: 'arr' }, idx, vals))));
      }
      const title = KIND_TITLE[e.kind];
      wrap.append(el('div', { class: `card k-${e.kind}`, 'data-entity': e.name }, el('h3', {}, e.name, title ? el('span', { class: 'what' }, ` ${title}`) : null), t));
    }
    return wrap;
  }

  interface Line {
    text: string;
    /** fields the line shows (highlighted when one changed) */
    fields: string[];
    /** bit-string fields whose bit `bit` the line shows */
    bits?: { field: string; bit: number }[];
    /** an arrow from this line to the anchor of that key */
    to?: string;
    /** this line is the target of arrows to that key */
    anchor?: string;
  }
  interface Block {
    ent: string;
    kind: string;
    title: string;
    titleFields: string[];
    anchor?: string;
    lines: Line[];
  }

  /** Wrap `name=value` items into lines of at most `width` characters. */
  function wrapItems(items: { text: string; field: string }[], width: number): Line[] {
    const out: Line[] = [];
    let cur: Line | null = null;
    for (const it of items) {
      if (cur && cur.text.length + 2 + it.text.length <= width) {
        cur.text += `  ${it.text}`;
        cur.fields.push(it.field);
      } else {
        cur = { text: it.text, fields: [it.field] };
        out.push(cur);
      }
    }
    return out;
  }

  /** The THP model's page tables and pages as one SVG; null for a state without mm page tables. */
  function picture(st: State, mk: Marks): SVGSVGElement | null {
    const ents = entities(st);
    const mms = ents.filter((e) => e.kind === 'mm' && `${e.name}.pmd` in st);
    if (mms.length === 0) return null;
    const vmaOf = (mm: string) => String(st[`${mm}.vma`] ?? '');
    const pteIdx = Object.keys(st).map((f) => /^mm\d+\.pte\[(\d+)\]$/.exec(f)?.[1]);
    const N = Math.max(1, ...mms.map((m) => vmaOf(m.name).length), ...pteIdx.map((i) => (i === undefined ? 0 : Number(i) + 1)));
    const isBits = (v: Val | undefined) => typeof v === 'string' && v.length === N && /^[01]+$/.test(v);
    const WRAP = 46;
    // arrays of N entries (per subpage or address) and N-bit strings go on the rows; other arrays (slots) stay in the header
    const perRow = (fields: string[]) => {
      const arrays = new Map<string, string[]>();
      const bits: string[] = [];
      const scalars: string[] = [];
      const length = new Map<string, number>();
      for (const f of fields) {
        const p = parts(f);
        if (p.idx >= 0) length.set(p.base, Math.max(length.get(p.base) ?? 0, p.idx + 1));
      }
      for (const f of fields) {
        const p = parts(f);
        if (p.idx >= 0 && length.get(p.base) === N) {
          if (!arrays.has(p.base)) arrays.set(p.base, []);
          arrays.get(p.base)![p.idx] = f;
        } else if (isBits(st[f])) bits.push(f);
        else scalars.push(f);
      }
      return { arrays, bits, scalars };
    };
    const item = (f: string) => ({ text: `${parts(f).base}${parts(f).idx >= 0 ? `[${parts(f).idx}]` : ''}=${st[f]}`, field: f });
    const pageKey = (v: Val, addr: number): string | undefined => {
      const s = String(v);
      if (s === 'none' || s === '-' || s === '') return undefined;
      if (/^F\d+$/.test(s) && addr >= 0) return `${s}[${addr}]`;
      return s;
    };

    const left: Block[] = [];
    const right: Block[] = [];
    for (const e of mms) {
      const m = e.name;
      const { arrays, bits, scalars } = perRow(e.fields);
      const known = new Set([`${m}.state`, `${m}.pmd`, `${m}.pmd.folio`, `${m}.pmd.write`]);
      const info = scalars.filter((f) => !known.has(f));
      const lines = wrapItems(info.map(item), WRAP);
      const pmd = String(st[`${m}.pmd`]);
      const pmdFields = [`${m}.pmd`, `${m}.pmd.folio`, `${m}.pmd.write`].filter((f) => f in st);
      if (pmd === 'huge') {
        const folio = String(st[`${m}.pmd.folio`] ?? '?');
        lines.push({ text: `PMD huge -> ${folio}${st[`${m}.pmd.write`] === 1 ? ' (write)' : ''}`, fields: pmdFields, to: folio });
      } else lines.push({ text: `PMD ${pmd}${pmd === 'table' ? ': PTEs below' : ''}`, fields: pmdFields });
      const pte = arrays.get('pte');
      const vma = vmaOf(m);
      const vmw = String(st[`${m}.vm_write`] ?? '');
      const ptw = String(st[`${m}.pte.write`] ?? '');
      for (let i = 0; i < N; i++) {
        const covered = vma[i] === '1';
        const vm = covered ? (vmw[i] === '1' ? 'rw' : 'r-') : '--';
        let entry = pmd === 'huge' ? '(huge PMD)' : '.';
        let to: string | undefined;
        if (pte?.[i]) {
          const v = st[pte[i]!]!;
          entry = `${v}${ptw[i] === '1' ? ' w' : ''}`;
          to = pageKey(v, i);
        }
        const extra = [...arrays].filter(([b]) => b !== 'pte').map(([, fs]) => fs[i]).filter((f): f is string => !!f);
        const text = [`${i}`, `vma ${vm}`, `pte ${entry}`, ...extra.map((f) => `${parts(f).base}=${st[f]}`)].join('  ');
        lines.push({ text, fields: [...(pte?.[i] ? [pte[i]!] : []), ...extra], bits: bits.map((field) => ({ field, bit: i })), to });
      }
      left.push({ ent: m, kind: 'mm', title: `${m}${st[`${m}.state`] !== undefined ? ` (${st[`${m}.state`]})` : ''}`, titleFields: [`${m}.state`], lines });
    }
    for (const e of ents.filter((x) => x.kind === 'gup')) {
      const page = `${e.name}.page`;
      const lines = wrapItems(e.fields.filter((f) => f !== page).map(item), WRAP);
      if (page in st) lines.push({ text: `page -> ${st[page]}`, fields: [page], to: pageKey(st[page]!, -1) });
      left.push({ ent: e.name, kind: 'gup', title: e.name, titleFields: [], lines });
    }
    const kvm = ents.find((x) => x.kind === 'kvm');
    if (kvm) {
      const { arrays, scalars } = perRow(kvm.fields);
      const huge = 'kvm.ept.2M';
      const lines = wrapItems(scalars.filter((f) => f !== huge && f !== 'kvm.ept.2M.write' && f !== 'kvm.ept.write').map(item), WRAP);
      if (huge in st) {
        const v = String(st[huge]);
        lines.push({ text: `EPT 2M -> ${v}${st['kvm.ept.2M.write'] === 1 ? ' (write)' : ''}`, fields: [huge, 'kvm.ept.2M.write'], to: pageKey(v, -1) });
      }
      const ept = arrays.get('ept') ?? [];
      const w = String(st['kvm.ept.write'] ?? '');
      for (let i = 0; i < N; i++) {
        if (!ept[i]) continue;
        const v = st[ept[i]!]!;
        lines.push({ text: `gfn ${i}  EPT 4K -> ${v}${w[i] === '1' ? ' w' : ''}`, fields: [ept[i]!], bits: 'kvm.ept.write' in st ? [{ field: 'kvm.ept.write', bit: i }] : [], to: pageKey(v, -1) });
      }
      left.push({ ent: 'kvm', kind: 'kvm', title: 'kvm (EPT)', titleFields: [], lines });
    }

    const folioBlock = (f: string, present: boolean): Block => {
      if (!present) {
        const lines: Line[] = Array.from({ length: N }, (_, i) => ({ text: `[${i}]`, fields: [], anchor: `${f}[${i}]` }));
        return { ent: f, kind: 'missing', title: `${f}: freed (no _refcount)`, titleFields: [], anchor: f, lines };
      }
      const e = ents.find((x) => x.name === f)!;
      const { arrays, bits, scalars } = perRow(e.fields);
      const lines = wrapItems(scalars.map(item), WRAP);
      for (let i = 0; i < N; i++) {
        const cols = [...arrays].map(([b, fs]) => (fs[i] ? `${b}=${st[fs[i]!]}` : '')).filter(Boolean);
        const bcols = bits.map((b) => `${parts(b).base}=${String(st[b])[i]}`);
        lines.push({ text: [`[${i}]`, ...cols, ...bcols].join('  '), fields: [...arrays.values()].map((fs) => fs[i]).filter((x): x is string => !!x), bits: bits.map((field) => ({ field, bit: i })), anchor: `${f}[${i}]` });
      }
      return { ent: f, kind: 'folio', title: f, titleFields: [], anchor: f, lines };
    };
    const targets = new Set(left.flatMap((b) => b.lines.map((l) => l.to).filter((t): t is string => !!t)));
    const folios = new Set(ents.filter((x) => x.kind === 'folio').map((x) => x.name));
    for (const t of targets) {
      const m = /^(F\d+)/.exec(t);
      if (m) folios.add(m[1]!);
    }
    const num = (s: string) => Number(s.replace(/\D/g, ''));
    for (const f of [...folios].sort((a, b) => num(a) - num(b))) right.push(folioBlock(f, ents.some((x) => x.name === f)));
    const smalls = new Set(ents.filter((x) => x.kind === 'small').map((x) => x.name));
    for (const t of targets) if (/^S\d+$/.test(t)) smalls.add(t);
    for (const sName of [...smalls].sort((a, b) => num(a) - num(b))) {
      const e = ents.find((x) => x.name === sName);
      const lines = e ? wrapItems(e.fields.map(item), WRAP) : [];
      right.push({ ent: sName, kind: e ? 'small' : 'missing', title: e ? sName : `${sName}: freed`, titleFields: [], anchor: sName, lines });
    }
    if (targets.has('zero-page')) right.push({ ent: 'zero-page', kind: 'zero', title: 'zero page', titleFields: [], anchor: 'zero-page', lines: [] });

    // geometry: monospace text, one row per line
    const CH = 7.3;
    const RH = 17;
    const PAD = 6;
    const GAP = 170;
    const widthOf = (bs: Block[]) => Math.max(210, ...bs.flatMap((b) => [b.title, ...b.lines.map((l) => l.text)].map((t) => t.length * CH + 2 * PAD + 10)));
    const LW = widthOf(left);
    const RW = widthOf(right);
    const X0 = 8;
    const X1 = X0 + LW + GAP;
    const svg = sv('svg', { class: 'pic', xmlns: SVGNS }) as SVGSVGElement;
    const anchors = new Map<string, number>();
    const sources: { y: number; to: string; id: string; chg: boolean; color: number }[] = [];
    const changedLine = (l: Line) =>
      l.fields.some((f) => mk.changed.has(f)) || (l.bits ?? []).some((b) => mk.prev !== null && String(mk.prev[b.field] ?? '')[b.bit] !== String(st[b.field] ?? '')[b.bit]);
    const place = (blocks: Block[], x: number, w: number, isLeft: boolean): number => {
      let y = 8;
      blocks.forEach((b, bi) => {
        const h = (b.lines.length + 1) * RH + 2 * PAD;
        const g = sv('g', { class: `blk k-${b.kind}`, 'data-block': b.ent });
        g.append(sv('rect', { x, y, width: w, height: h, rx: 5, class: 'box' }));
        const ty = y + PAD + RH / 2;
        if (b.titleFields.some((f) => mk.changed.has(f))) g.append(sv('rect', { x: x + 2, y: ty - RH / 2, width: w - 4, height: RH, class: 'hl' }));
        g.append(sv('text', { x: x + PAD, y: ty, class: 'title' }, b.title));
        if (b.anchor) anchors.set(b.anchor, ty);
        b.lines.forEach((l, i) => {
          const ly = y + PAD + (i + 1.5) * RH;
          const chg = changedLine(l);
          if (chg) g.append(sv('rect', { x: x + 2, y: ly - RH / 2, width: w - 4, height: RH, class: 'hl' }));
          if (l.fields.some((f) => mk.read.has(f))) g.append(sv('rect', { x: x + 2, y: ly - RH / 2, width: w - 4, height: RH, class: 'rd' }));
          g.append(sv('text', { x: x + PAD, y: ly }, l.text));
          if (l.anchor) anchors.set(l.anchor, ly);
          if (l.to && isLeft) sources.push({ y: ly, to: l.to, id: `${l.fields[0] ?? b.ent}->${l.to}`, chg, color: bi % 6 });
        });
        svg.append(g);
        y += h + 12;
      });
      return y;
    };
    const hL = place(left, X0, LW, true);
    const hR = place(right, X1, RW, false);
    const arrows = sv('g', { class: 'arrows' });
    for (const s of sources) {
      const ty = anchors.get(s.to);
      if (ty === undefined) continue;
      const x1 = X0 + LW;
      const x2 = X1 - 1;
      const c = GAP / 2;
      const cls = `arr a${s.color}${s.chg ? ' chg' : ''}`;
      const a = sv('g', { class: cls, 'data-arrow': s.id });
      a.append(sv('circle', { cx: x1, cy: s.y, r: 2.5 }));
      a.append(sv('path', { d: `M${x1},${s.y} C${x1 + c},${s.y} ${x2 - c},${ty} ${x2 - 7},${ty}`, fill: 'none' }));
      a.append(sv('path', { d: `M${x2},${ty} L${x2 - 8},${ty - 4} L${x2 - 8},${ty + 4} Z`, class: 'head' }));
      arrows.append(a);
    }
    svg.append(arrows);
    const W = X1 + RW + 8;
    const H = Math.max(hL, hR);
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('width', String(W));
    svg.setAttribute('height', String(H));
    return svg;
  }

  /** The state drawn: the picture (THP model) and every field's table. */
  function stateView(st: State, mk: Marks): HTMLElement {
    const pic = picture(st, mk);
    return el('div', { class: 'state' }, pic ? el('div', { class: 'picwrap' }, pic) : null, tables(st, mk));
  }

  function changesTable(s: Step): HTMLElement | null {
    if (s.changes.length === 0) return el('p', { class: 'muted' }, 'no field changed');
    return el(
      'table',
      { class: 'changes' },
      el('tr', {}, el('th', {}, 'field'), el('th', {}, 'before'), el('th', {}, 'after')),
      ...s.changes.map((c) => el('tr', {}, el('td', {}, c.field), el('td', {}, String(c.from)), el('td', {}, String(c.to)))),
    );
  }

  /** What a step did: its call, the kernel path, the branches it took, what it read, what it fired and changed. */
  function stepHead(s: Step | null, k: number, n: number | null): HTMLElement {
    if (!s) return el('div', { class: 'head' }, el('h2', {}, 'Initial state'));
    const dl = el('dl', {});
    const row = (dt: string, dd: Kid, cls?: string) => dl.append(el('dt', {}, dt), el('dd', { class: cls }, dd));
    row('kernel', s.kernel);
    if (s.branches?.length) row('took', s.branches.join('; '));
    if (s.reads?.length) row('read', s.reads.join('; '), 'reads');
    if (s.fired.length) row('fired', s.fired.join(', '), 'fired');
    return el('div', { class: 'head' }, el('h2', {}, `Step ${k}${n !== null ? ` of ${n}` : ''}: `, el('code', {}, labelOf(s))), dl, changesTable(s));
  }

  function verdict(t: Trace): HTMLElement {
    const cover = t.kind === 'sometimes';
    return el('div', { class: `verdict ${cover ? 'ok' : 'bad'}` }, `=> ${cover ? 'reaches' : 'violates'} ${t.property} (${t.kind})${t.why ? `: ${t.why}` : ''}`);
  }

  // ---- the trace page ----
  function traceApp(): void {
    const traces = data.traces ?? [];
    const root = document.getElementById('app')!;
    if (data.note) root.append(el('p', { class: 'note' }, data.note));
    if (traces.length === 0) return;
    const nav = el('nav', { class: 'traces' });
    const views: { div: HTMLElement; steps: HTMLElement[]; strip: HTMLElement[] }[] = [];
    let cur = { t: 0, k: 0 };
    traces.forEach((tr, ti) => {
      const states = statesOf(tr);
      const n = tr.trace.steps.length;
      nav.append(el('button', { class: `tab g-${tr.group}`, 'data-trace': String(ti), type: 'button' }, tr.title));
      const strip: HTMLElement[] = [];
      const ol = el('ol', { class: 'strip' });
      const sections: HTMLElement[] = [];
      for (let k = 0; k <= n; k++) {
        const s = k > 0 ? tr.trace.steps[k - 1]! : null;
        const b = el('button', { type: 'button', 'data-go': String(k) }, k === 0 ? 'initial' : `${k}. ${labelOf(s!)}`);
        if (k === n && tr.trace.kind !== 'sometimes') b.classList.add('last');
        strip.push(b);
        ol.append(el('li', {}, b));
        const st = states[k]!;
        const mk = marksOf(s, k > 0 ? states[k - 1]! : null, st);
        sections.push(el('section', { class: 'step', 'data-step': String(k) }, stepHead(s, k, n), k === n ? verdict(tr.trace) : null, stateView(st, mk)));
      }
      const div = el('div', { class: 'trace', 'data-trace': String(ti) }, el('h2', { class: 'ttitle' }, tr.title), ol, ...sections);
      root.append(div);
      views.push({ div, steps: sections, strip });
    });
    if (traces.length > 1) root.prepend(nav);
    const show = (t: number, k: number, fromHash = false) => {
      t = Math.max(0, Math.min(traces.length - 1, t));
      k = Math.max(0, Math.min(traces[t]!.trace.steps.length, k));
      cur = { t, k };
      views.forEach((v, ti) => {
        v.div.classList.toggle('current', ti === t);
        v.steps.forEach((s, i) => s.classList.toggle('current', ti === t && i === k));
        v.strip.forEach((b, i) => b.classList.toggle('current', i === k));
      });
      nav.querySelectorAll('button').forEach((b, i) => b.classList.toggle('current', i === t));
      document.body.dataset.trace = String(t);
      document.body.dataset.step = String(k);
      const hash = t === 0 ? `#step=${k}` : `#trace=${t}&step=${k}`;
      if (!fromHash && location.hash !== hash) history.replaceState(null, '', hash);
    };
    const fromHash = () => {
      const q = new URLSearchParams(location.hash.slice(1));
      show(Number(q.get('trace') ?? 0) || 0, Number(q.get('step') ?? 0) || 0, true);
    };
    nav.addEventListener('click', (e) => {
      const b = (e.target as HTMLElement).closest('button');
      if (b?.dataset.trace) show(Number(b.dataset.trace), 0);
    });
    root.addEventListener('click', (e) => {
      const b = (e.target as HTMLElement).closest('button[data-go]') as HTMLElement | null;
      if (b) show(cur.t, Number(b.dataset.go));
    });
    document.addEventListener('keydown', (e) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const n = traces[cur.t]!.trace.steps.length;
      const to = { ArrowRight: cur.k + 1, ArrowLeft: cur.k - 1, Home: 0, End: n } as Record<string, number>;
      if (e.key in to) {
        e.preventDefault();
        show(cur.t, to[e.key]!);
      }
    });
    window.addEventListener('hashchange', fromHash);
    fromHash();
  }

  // ---- the explorer ----
  interface Explored {
    path: (Step & { id: number })[];
    state: State;
    prev: State | null;
    properties: { name: string; kind: string; status: string; why?: string }[];
    actions: { id: number; label: string; changes: Change[]; violates: string[]; fires: string[] }[];
    saveAs: string[];
    error?: string;
  }
  function exploreApp(): void {
    const root = document.getElementById('app')!;
    const pathList = el('ol', { class: 'path' });
    const props = el('ul', { class: 'props' });
    const actions = el('div', { class: 'actions' });
    const view = el('section', { class: 'step current' });
    const back = el('button', { type: 'button', id: 'back' }, '<- Back');
    const reset = el('button', { type: 'button', id: 'reset' }, 'Initial state');
    const select = el('select', { id: 'save-property' }) as HTMLSelectElement;
    const save = el('a', { id: 'save', class: 'button', download: 'mmcheck-trace.json' }, 'Save trace');
    const saveNote = el('p', { class: 'muted' });
    const err = el('p', { class: 'error', role: 'alert' });
    root.append(
      el(
        'div',
        { class: 'explore' },
        el(
          'aside',
          {},
          el('h2', {}, 'Path'),
          el('div', { class: 'row' }, back, reset),
          pathList,
          el('h2', {}, 'Save the path'),
          el('p', { class: 'muted' }, 'As the JSON of check --trace, for `mmcheck replay FILE`; it names what the path shows:'),
          el('div', { class: 'row' }, select, save),
          saveNote,
          el('h2', {}, 'Properties here'),
          props,
        ),
        el('main', {}, err, el('h2', {}, 'Enabled actions'), actions, view),
      ),
    );
    let path: number[] = [];
    let seq = 0;
    const go = async (p: number[]) => {
      const mine = ++seq;
      document.body.dataset.busy = '1';
      const r = await fetch(`api/state?path=${p.join(',')}`);
      const j = (await r.json()) as Explored;
      if (mine !== seq) return;
      delete document.body.dataset.busy;
      if (!r.ok) {
        err.textContent = j.error ?? `error ${r.status}`;
        return;
      }
      err.textContent = '';
      path = p;
      render(j);
    };
    const render = (j: Explored) => {
      pathList.replaceChildren(
        el('li', {}, el('button', { type: 'button', 'data-depth': '0' }, 'initial state')),
        ...j.path.map((s, i) => el('li', {}, el('button', { type: 'button', 'data-depth': String(i + 1) }, labelOf(s)))),
      );
      (back as HTMLButtonElement).disabled = path.length === 0;
      props.replaceChildren(
        ...j.properties.map((p) =>
          el('li', { class: `st-${p.status === 'fired' && p.kind === 'sometimes' ? 'reached' : p.status.replace(' ', '-')}`, 'data-property': p.name, 'data-status': p.status }, el('b', {}, p.status), ` ${p.name} `, el('span', { class: 'muted' }, `(${p.kind})`), p.why ? el('div', { class: 'why' }, p.why) : null),
        ),
      );
      select.replaceChildren(...j.saveAs.map((n) => el('option', { value: n }, n)));
      const href = () => `api/trace?path=${path.join(',')}&property=${encodeURIComponent(select.value)}`;
      if (j.saveAs.length) {
        save.setAttribute('href', href());
        save.classList.remove('disabled');
        saveNote.textContent = '';
      } else {
        save.removeAttribute('href');
        save.classList.add('disabled');
        saveNote.textContent = 'Nothing to save yet: this path violates no property and reaches no cover, so a replay would have nothing to check.';
      }
      select.onchange = () => save.setAttribute('href', href());
      const byOp = new Map<string, HTMLElement>();
      for (const a of j.actions) {
        const op = a.label.slice(0, a.label.indexOf('('));
        if (!byOp.has(op)) byOp.set(op, el('div', { class: 'op' }, el('h3', {}, op)));
        const shown = a.changes.slice(0, 4).map((c) => `${c.field}: ${c.from} -> ${c.to}`);
        const more = a.changes.length > 4 ? ` (+${a.changes.length - 4} more)` : '';
        byOp.get(op)!.append(
          el(
            'div',
            { class: 'act' },
            el('button', { type: 'button', class: `act${a.violates.length ? ' bad' : ''}`, 'data-action': String(a.id), 'data-label': a.label, title: a.changes.map((c) => `${c.field}: ${c.from} -> ${c.to}`).join('\n') }, a.label),
            el('span', { class: 'succ' }, a.changes.length ? shown.join(', ') + more : 'no change (a state already here)'),
            a.violates.length ? el('span', { class: 'badge bad' }, `violates ${a.violates.join(', ')}`) : null,
            a.fires.length ? el('span', { class: 'badge' }, `fires ${a.fires.join(', ')}`) : null,
          ),
        );
      }
      actions.replaceChildren(...(j.actions.length ? byOp.values() : [el('p', { class: 'muted' }, 'no action is enabled here (a final state)')]));
      const last = j.path.length ? j.path[j.path.length - 1]! : null;
      view.replaceChildren(stepHead(last, j.path.length, null), stateView(j.state, marksOf(last, j.prev, j.state)));
      document.body.dataset.path = path.join(',');
      document.body.dataset.depth = String(path.length);
      const hash = `#path=${path.join(',')}`;
      if (location.hash !== hash) history.replaceState(null, '', hash);
    };
    actions.addEventListener('click', (e) => {
      const b = (e.target as HTMLElement).closest('button[data-action]') as HTMLElement | null;
      if (b) void go([...path, Number(b.dataset.action)]);
    });
    pathList.addEventListener('click', (e) => {
      const b = (e.target as HTMLElement).closest('button[data-depth]') as HTMLElement | null;
      if (b) void go(path.slice(0, Number(b.dataset.depth)));
    });
    back.addEventListener('click', () => void go(path.slice(0, -1)));
    reset.addEventListener('click', () => void go([]));
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Backspace' && !(e.target instanceof HTMLInputElement) && path.length) {
        e.preventDefault();
        void go(path.slice(0, -1));
      }
    });
    const q = new URLSearchParams(location.hash.slice(1)).get('path');
    void go(q ? q.split(',').filter(Boolean).map(Number) : []);
  }

  if (data.mode === 'explore') exploreApp();
  else traceApp();
}
