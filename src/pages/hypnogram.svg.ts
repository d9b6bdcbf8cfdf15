// Pure SVG rendering of one night's hypnogram over clock time (UTC): the predicted stage as a step
// trace, the probability of the predicted stage as a faint band around it, and the ground truth as
// a second (dashed) trace when there is one. Every text is escaped.
import { UNSCORED } from '../summary/sleep-statistics.js';
import { escapeXml } from './escape.js';
import { displayOrder } from './stage-order.js';

export interface HypnogramPicture {
  readonly title: string;
  /** The model's class names; `predicted` and `truth` hold indices into it. */
  readonly labels: readonly string[];
  /** Clock time of the first epoch slot, epoch milliseconds. */
  readonly startMs: number;
  readonly epochSeconds: number;
  /** Class index per epoch slot, UNSCORED where there is none. */
  readonly predicted: ArrayLike<number>;
  /** Probability of the predicted class per slot (ignored where unscored). */
  readonly confidence: ArrayLike<number>;
  /** Ground truth mapped onto `labels`, per slot; null or absent when the night has no labels. */
  readonly truth?: ArrayLike<number> | null;
}

const WIDTH = 960;
const LEFT = 64;
const RIGHT = 16;
const TOP = 52;
const BOTTOM = 40;
const ROW = 34;
const TICK_MINUTES = [5, 10, 15, 30, 60, 120, 180, 240];
const MINUTE_MS = 60_000;

const num = (v: number) => (Math.round(v * 10) / 10).toString();

/** Step path through scored slots; a run of unscored slots breaks the line. */
function stepPath(classes: ArrayLike<number>, x: (i: number) => number, y: (c: number) => number): string {
  let d = '';
  let open = false;
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i]!;
    if (c === UNSCORED) {
      open = false;
      continue;
    }
    d += open ? `V${num(y(c))}H${num(x(i + 1))}` : `M${num(x(i))} ${num(y(c))}H${num(x(i + 1))}`;
    open = true;
  }
  return d;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

export function renderHypnogramSvg(p: HypnogramPicture): string {
  const order = displayOrder(p.labels);
  const rowOf = p.labels.map((l) => order.indexOf(l));
  const n = Math.max(p.predicted.length, 1);
  const plotW = WIDTH - LEFT - RIGHT;
  const height = TOP + order.length * ROW + BOTTOM;
  const x = (i: number) => LEFT + (i / n) * plotW;
  const y = (c: number) => TOP + rowOf[c]! * ROW + ROW / 2;
  const slotW = plotW / n;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="hypnogram" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(p.title)}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(p.title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="18" font-size="14" font-weight="bold" fill="#222">${escapeXml(p.title)}</text>`,
  );
  order.forEach((label, r) => {
    const yc = TOP + r * ROW + ROW / 2;
    if (r % 2 === 0) out.push(`<rect x="${LEFT}" y="${TOP + r * ROW}" width="${plotW}" height="${ROW}" fill="#f4f6f8"/>`);
    out.push(`<text class="stage-label" data-stage="${escapeXml(label)}" x="${LEFT - 8}" y="${yc + 4}" text-anchor="end" fill="#222">${escapeXml(label)}</text>`);
  });
  // x axis: clock ticks at round times, at most about ten of them.
  const startMs = p.startMs;
  const spanMin = (n * p.epochSeconds) / 60;
  const step = (TICK_MINUTES.find((m) => spanMin / m <= 10) ?? 480) * MINUTE_MS;
  const axisY = TOP + order.length * ROW;
  out.push(`<line x1="${LEFT}" y1="${axisY}" x2="${LEFT + plotW}" y2="${axisY}" stroke="#555"/>`);
  for (let t = Math.ceil(startMs / step) * step; t <= startMs + spanMin * MINUTE_MS; t += step) {
    const tx = num(LEFT + ((t - startMs) / (spanMin * MINUTE_MS)) * plotW);
    out.push(`<line x1="${tx}" y1="${TOP}" x2="${tx}" y2="${axisY + 4}" stroke="#ccc" stroke-width="0.5"/>`);
    out.push(`<text class="tick" x="${tx}" y="${axisY + 18}" text-anchor="middle" fill="#444">${clock(t)}</text>`);
  }
  out.push(`<text x="${LEFT + plotW}" y="${axisY + 34}" text-anchor="end" fill="#666">time (UTC)</text>`);
  // Probability band: a bar per epoch around the predicted stage, as tall as its probability.
  const band: string[] = [];
  for (let i = 0; i < p.predicted.length; i++) {
    const c = p.predicted[i]!;
    const conf = p.confidence[i]!;
    if (c === UNSCORED || !Number.isFinite(conf)) continue;
    const h = Math.max(0, Math.min(1, conf)) * (ROW - 4);
    band.push(`<rect x="${num(x(i))}" y="${num(y(c) - h / 2)}" width="${num(slotW + 0.3)}" height="${num(h)}"/>`);
  }
  out.push(`<g class="band" fill="#3b6fb6" fill-opacity="0.2">${band.join('')}</g>`);
  out.push(`<path class="trace-predicted" d="${stepPath(p.predicted, x, y)}" fill="none" stroke="#1f4e96" stroke-width="1.6"/>`);
  const hasTruth = p.truth != null && Array.from(p.truth).some((c) => c !== UNSCORED);
  if (hasTruth) {
    const yTruth = (c: number) => y(c) + 5;
    out.push(`<path class="trace-truth" d="${stepPath(p.truth!, x, yTruth)}" fill="none" stroke="#d55e00" stroke-width="1.3" stroke-dasharray="4 2"/>`);
  }
  // Legend, top right.
  const legend: Array<[string, string]> = [
    ['predicted', `<line x1="0" y1="-4" x2="22" y2="-4" stroke="#1f4e96" stroke-width="1.6"/>`],
    ['probability of predicted stage', `<rect x="0" y="-10" width="22" height="12" fill="#3b6fb6" fill-opacity="0.2"/>`],
  ];
  if (hasTruth) legend.push(['ground truth', `<line x1="0" y1="-4" x2="22" y2="-4" stroke="#d55e00" stroke-width="1.3" stroke-dasharray="4 2"/>`]);
  let lx = WIDTH - RIGHT - legend.reduce((s, [text]) => s + 36 + text.length * 6.5, 0);
  for (const [text, swatch] of legend) {
    out.push(`<g transform="translate(${num(lx)} 40)">${swatch}<text x="28" y="0" fill="#333">${escapeXml(text)}</text></g>`);
    lx += 36 + text.length * 6.5;
  }
  out.push('</svg>');
  return out.join('\n');
}
