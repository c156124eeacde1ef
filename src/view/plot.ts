/**
 * Small charts as plain SVG written here (harness code): `bench --curve --plot` (speedup per worker
 * count) and `compare --plot` (each side's agree / false positive / false negative). Every mark
 * carries its figure as data-* attributes, so a test or script can read the chart back.
 */
import type { CurveRow } from '../../bench/bench.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const n2 = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(2)) : 0);
const PALETTE = ['#0969da', '#bf3989', '#1a7f37', '#9a6700', '#8250df', '#cf222e', '#1b7c83', '#6e7781'];
// scoped to .mmplot: the chart's style also applies to the page an HTML report inlines it into
const STYLE =
  '<style>.mmplot text{font:12px system-ui,sans-serif;fill:#1f2328}.mmplot .axis{stroke:#59636e}.mmplot .grid{stroke:#d1d9e0}.mmplot .muted{fill:#59636e}' +
  '@media (prefers-color-scheme:dark){.mmplot text{fill:#e6edf3}.mmplot .muted{fill:#9198a1}.mmplot .grid{stroke:#3d444d}.mmplot .axis{stroke:#9198a1}.mmplot rect.bg{fill:#0d1117}}' +
  '@media print{.mmplot text{fill:#000}.mmplot rect.bg{fill:#fff}}</style>';

function svgDoc(w: number, h: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="mmplot" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img">`,
    `<title>${esc(title)}</title>`,
    STYLE,
    `<rect class="bg" x="0" y="0" width="${w}" height="${h}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** A round step for an axis from 0 to max with about `ticks` ticks. */
function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
}

/**
 * Speedup over 1 worker per worker count, one line per configuration; the ideal (speedup = workers)
 * dashed, and where measured, what N 1-worker runs at once got (the machine's ceiling) as hollow marks.
 */
export function curvePlot(res: { counts: number[]; curve: CurveRow[]; started?: string; commit?: string | null }): string {
  const W = 640;
  const H = 400;
  const L = 56;
  const R = 200;
  const T = 40;
  const B = 48;
  const counts = res.counts;
  const ymax = Math.max(...counts, ...res.curve.flatMap((r) => r.points.flatMap((p) => [p.speedup, p.ceiling && 'speedup' in p.ceiling ? p.ceiling.speedup : 0])), 1);
  const step = niceStep(ymax, 5);
  const top = Math.ceil(ymax / step) * step;
  // worker counts evenly spaced (1, 2, 4, 8, 16 read as doublings)
  const x = (n: number) => L + 24 + (counts.length === 1 ? 0.5 : counts.indexOf(n) / (counts.length - 1)) * (W - L - R - 48);
  const y = (v: number) => H - B - (v / top) * (H - T - B);
  const out: string[] = [];
  for (let v = 0; v <= top + 1e-9; v += step) {
    out.push(`<line class="grid" x1="${L}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}"/>`);
    out.push(`<text class="muted" x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${n2(v)}</text>`);
  }
  for (const n of counts) out.push(`<text class="muted" x="${x(n)}" y="${H - B + 18}" text-anchor="middle">${n}</text>`);
  out.push(`<line class="axis" x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}"/><line class="axis" x1="${L}" y1="${T}" x2="${L}" y2="${H - B}"/>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">workers</text>`);
  out.push(`<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">speedup over 1 worker</text>`);
  out.push(`<text x="${L}" y="22" font-weight="bold">mmcheck bench --curve ${counts.join(',')}${res.started ? `  (${esc(res.started.replace(/\.\d+Z$/, 'Z'))}${res.commit ? `, ${esc(res.commit)}` : ''})` : ''}</text>`);
  const ideal = counts.filter((n) => n <= top).map((n) => `${x(n)},${y(n)}`).join(' ');
  out.push(`<polyline class="ideal" points="${ideal}" fill="none" stroke="#6e7781" stroke-dasharray="5 4"/>`);
  let ly = T + 6;
  out.push(`<line x1="${W - R + 16}" y1="${ly}" x2="${W - R + 40}" y2="${ly}" stroke="#6e7781" stroke-dasharray="5 4"/><text x="${W - R + 46}" y="${ly + 4}">ideal (= workers)</text>`);
  res.curve.forEach((row, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const pts = row.points.map((p) => `${x(p.workers)},${y(p.speedup)}`).join(' ');
    out.push(`<g class="config" data-config="${esc(row.name)}">`);
    out.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of row.points) {
      out.push(`<circle class="speedup" cx="${x(p.workers)}" cy="${y(p.speedup)}" r="4" fill="${color}" data-workers="${p.workers}" data-speedup="${p.speedup}" data-seconds="${p.run.seconds}"><title>${esc(row.name)}: ${p.workers} workers, ${n2(p.speedup)}x (${n2(p.run.seconds)} s)</title></circle>`);
      if (p.ceiling && 'speedup' in p.ceiling)
        out.push(`<circle class="ceiling" cx="${x(p.workers)}" cy="${y(p.ceiling.speedup)}" r="5" fill="none" stroke="${color}" stroke-width="1.5" data-workers="${p.workers}" data-speedup="${p.ceiling.speedup}"><title>${p.workers} 1-worker runs at once: ${n2(p.ceiling.speedup)}x</title></circle>`);
    }
    out.push('</g>');
    ly += 20;
    out.push(`<line x1="${W - R + 16}" y1="${ly}" x2="${W - R + 40}" y2="${ly}" stroke="${color}" stroke-width="2"/><text x="${W - R + 46}" y="${ly + 4}">${esc(row.name.length > 22 ? `${row.name.slice(0, 21)}...` : row.name)}</text>`);
  });
  if (res.curve.some((r) => r.points.some((p) => p.ceiling && 'speedup' in p.ceiling))) {
    ly += 20;
    out.push(`<circle cx="${W - R + 28}" cy="${ly}" r="5" fill="none" stroke="#6e7781" stroke-width="1.5"/><text x="${W - R + 46}" y="${ly + 4}">N 1-worker runs at once</text>`);
  }
  return svgDoc(W, H, `speedup per worker count: ${res.curve.map((r) => r.name).join('; ')}`, out);
}

export interface CompareSide {
  label: string;
  variant: string;
  counts: Record<string, number>;
}

/** One bar per side, split into agree / false positive / false negative; the share of them with no PTE mapping marked. */
export function comparePlot(hook: string, sides: CompareSide[]): string {
  const W = 640;
  const L = 150;
  const R = 24;
  const T = 44;
  const BH = 28;
  const GAP = 34;
  const H = T + sides.length * (BH + GAP) + 40;
  const classes = [
    ['agree', '#1a7f37', 'agree'],
    ['false-positive', '#cf222e', 'false positive (unsafe)'],
    ['false-negative', '#9a6700', 'false negative (missed 2M)'],
  ] as const;
  const total = Math.max(1, ...sides.map((s) => classes.reduce((t, [c]) => t + (s.counts[c] ?? 0), 0)));
  const scale = (W - L - R) / total;
  const out: string[] = [`<text x="12" y="22" font-weight="bold">mmcheck compare ${esc(hook)}: evaluations per side</text>`];
  sides.forEach((s, i) => {
    const y = T + i * (BH + GAP);
    out.push(`<text x="${L - 8}" y="${y + BH / 2 + 4}" text-anchor="end">${esc(s.label)}: ${esc(s.variant.length > 14 ? `...${s.variant.slice(-13)}` : s.variant)}</text>`);
    out.push(`<g class="side" data-side="${esc(s.label)}" data-variant="${esc(s.variant)}">`);
    let x = L;
    for (const [c, color, name] of classes) {
      const v = s.counts[c] ?? 0;
      const w = v * scale;
      out.push(`<rect class="bar" x="${x}" y="${y}" width="${w}" height="${BH}" fill="${color}" data-class="${c}" data-count="${v}"><title>${esc(s.label)} ${esc(name)}: ${v}</title></rect>`);
      if (w > 26) out.push(`<text x="${x + w / 2}" y="${y + BH / 2 + 4}" text-anchor="middle" fill="#ffffff" style="fill:#ffffff">${v}</text>`);
      x += w;
    }
    const stale = s.counts['false-negative-stale'] ?? 0;
    if (stale > 0) {
      const x0 = L + ((s.counts.agree ?? 0) + (s.counts['false-positive'] ?? 0)) * scale;
      out.push(`<rect class="stale" x="${x0}" y="${y + BH + 2}" width="${stale * scale}" height="4" fill="#9a6700" data-class="false-negative-stale" data-count="${stale}"><title>false negatives with no PTE mapping the THP anywhere: ${stale}</title></rect>`);
    }
    const said = `agree ${s.counts.agree ?? 0}, false positive ${s.counts['false-positive'] ?? 0}, false negative ${s.counts['false-negative'] ?? 0}${stale ? ` (${stale} with no PTE mapping the THP)` : ''}`;
    out.push(`<text class="muted" x="${L}" y="${y + BH + 18}">${said}</text>`);
    out.push('</g>');
  });
  let lx = L;
  const ly = H - 16;
  for (const [, color, name] of classes) {
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${color}"/><text x="${lx + 16}" y="${ly}">${esc(name)}</text>`);
    lx += 16 + name.length * 6.6 + 18;
  }
  return svgDoc(W, H, `compare ${hook}: ${sides.map((s) => `${s.label} ${s.variant}`).join(' vs ')}`, out);
}
