import { describe, expect, it } from 'vitest';
import { escapeXml } from '../../src/pages/escape.js';
import { renderHypnogramSvg, type HypnogramPicture } from '../../src/pages/hypnogram.svg.js';
import { displayOrder } from '../../src/pages/stage-order.js';
import { UNSCORED } from '../../src/summary/sleep-statistics.js';

const picture = (over: Partial<HypnogramPicture> = {}): HypnogramPicture => ({
  title: 'night',
  labels: ['W', 'LIGHT', 'DEEP', 'REM'],
  startMs: Date.parse('2024-03-01T22:00:00Z'),
  epochSeconds: 30,
  predicted: [0, 1, 1, 2, UNSCORED, 3, 0],
  confidence: [0.9, 0.5, 0.6, 0.8, Number.NaN, 0.7, 1],
  ...over,
});
const stagesOf = (svg: string) => [...svg.matchAll(/data-stage="([^"]+)"/g)].map((m) => m[1]);

describe('stage display order', () => {
  it('puts wake on top, then REM, then NREM from light to deep, for every label set', () => {
    expect(displayOrder(['W', 'SLEEP'])).toEqual(['W', 'SLEEP']);
    expect(displayOrder(['W', 'NREM', 'REM'])).toEqual(['W', 'REM', 'NREM']);
    expect(displayOrder(['W', 'LIGHT', 'DEEP', 'REM'])).toEqual(['W', 'REM', 'LIGHT', 'DEEP']);
    expect(displayOrder(['W', 'N1', 'N2', 'N3', 'REM'])).toEqual(['W', 'REM', 'N1', 'N2', 'N3']);
  });
});

describe('renderHypnogramSvg', () => {
  it('labels the rows in display order and breaks the trace at unscored epochs', () => {
    const svg = renderHypnogramSvg(picture());
    expect(stagesOf(svg)).toEqual(['W', 'REM', 'LIGHT', 'DEEP']);
    const d = /class="trace-predicted" d="([^"]+)"/.exec(svg)![1]!;
    expect(d.match(/M/g)).toHaveLength(2); // one segment before the unscored epoch, one after
    expect(svg.match(/<rect x="[^"]+" y="[^"]+" width="[^"]+" height="[^"]+"\/>/g)).toHaveLength(6); // band bars, none for the unscored epoch
    expect(svg).not.toContain('trace-truth');
    expect(svg).toContain('>22:00<');
  });

  it('draws the ground truth as a second trace when given one', () => {
    const svg = renderHypnogramSvg(picture({ truth: [0, 1, 2, 2, 2, 3, UNSCORED] }));
    expect(svg).toContain('class="trace-truth"');
    expect(svg).toContain('>ground truth<');
    expect(renderHypnogramSvg(picture({ truth: Array(7).fill(UNSCORED) }))).not.toContain('trace-truth');
  });

  it('escapes the title', () => {
    const svg = renderHypnogramSvg(picture({ title: '</title><script>alert(1)</script>' }));
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('copes with an empty hypnogram', () => {
    expect(renderHypnogramSvg(picture({ predicted: [], confidence: [] }))).toContain('</svg>');
  });
});

describe('escapeXml', () => {
  it('escapes the five XML metacharacters', () => {
    expect(escapeXml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    expect(escapeXml(42)).toBe('42');
  });
});
