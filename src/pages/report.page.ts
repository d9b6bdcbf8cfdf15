// Pure HTML of the one-night report: recording facts, the summary table, the per-stage table,
// agreement with the ground truth when there is one, and the hypnogram SVG inline (one request, so
// the page needs nothing but the credentials the API takes). Every value is escaped.
import type { SummaryResource } from '../summary/summary.resource.js';
import { escapeXml as e } from './escape.js';
import { displayOrder } from './stage-order.js';

export interface ReportView {
  readonly recording: { readonly id: string; readonly started_at: string; readonly device: string | null };
  readonly summary: SummaryResource;
  readonly evaluation: { readonly n: number; readonly accuracy: number | null; readonly cohen_kappa: number | null } | null;
  /** Trusted markup from renderHypnogramSvg. */
  readonly svg: string;
}

const fmt = (v: number | null, digits = 1, unit = '') => (v === null ? '–' : `${v.toFixed(digits)}${unit}`);
const row = (name: string, value: string, key: string) => `<tr data-key="${e(key)}"><th scope="row">${e(name)}</th><td>${e(value)}</td></tr>`;

export function renderReportPage(view: ReportView): string {
  const s = view.summary;
  const title = `Night of ${view.recording.started_at.slice(0, 10)}`;
  const facts = [
    row('Recording', view.recording.id, 'recording_id'),
    row('Device', view.recording.device ?? '–', 'device'),
    row('Model version', s.model_version, 'model_version'),
    row('From', s.start, 'start'),
    row('To', s.end, 'end'),
  ];
  const summary = [
    row('Time in bed (TIB)', fmt(s.tib_min, 1, ' min'), 'tib_min'),
    row('Sleep period (SPT)', fmt(s.spt_min, 1, ' min'), 'spt_min'),
    row('Total sleep (TST)', fmt(s.tst_min, 1, ' min'), 'tst_min'),
    row('Wake after sleep onset (WASO)', fmt(s.waso_min, 1, ' min'), 'waso_min'),
    row('Sleep onset latency (SOL)', fmt(s.sol_min, 1, ' min'), 'sol_min'),
    row('Latency to 5 min of sleep', fmt(s.sol_5min_min, 1, ' min'), 'sol_5min_min'),
    row('Sleep efficiency (TST/TIB)', fmt(s.se_pct, 1, ' %'), 'se_pct'),
    row('Sleep maintenance efficiency (TST/SPT)', fmt(s.sme_pct, 1, ' %'), 'sme_pct'),
    row('REM latency from sleep onset', fmt(s.rem_latency_min, 1, ' min'), 'rem_latency_min'),
    row('Awakenings', String(s.awakenings), 'awakenings'),
    row('Fragmentation (awakenings per hour of sleep)', fmt(s.sfi_per_hour, 2), 'sfi_per_hour'),
    row('Unscored', fmt(s.unscored_min, 1, ' min'), 'unscored_min'),
  ];
  const stageRows = displayOrder(s.labels).map((label) => {
    const st = s.stages[label]!;
    return `<tr data-stage="${e(label)}"><th scope="row">${e(label)}</th><td>${e(fmt(st.minutes))}</td><td>${e(fmt(st.pct_tst))}</td><td>${e(fmt(st.latency_min))}</td></tr>`;
  });
  if (s.nrem) {
    stageRows.push(`<tr data-stage="NREM-total"><th scope="row">NREM (total)</th><td>${e(fmt(s.nrem.minutes))}</td><td>${e(fmt(s.nrem.pct_tst))}</td><td>${e(fmt(s.nrem.latency_min))}</td></tr>`);
  }
  const ev = view.evaluation;
  const evaluation = ev
    ? `<p class="evaluation">Against the ground truth over the whole recording (${e(ev.n)} epochs): accuracy ${e(fmt(ev.accuracy === null ? null : ev.accuracy * 100, 1, ' %'))}, Cohen's κ ${e(fmt(ev.cohen_kappa, 3))}.</p>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${e(title)} · Noctis</title>
<style>
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin: 0 24px 16px 0; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }
td { text-align: right; font-variant-numeric: tabular-nums; }
.tables { display: flex; flex-wrap: wrap; align-items: flex-start; }
figure { margin: 16px 0; }
</style>
</head>
<body>
<h1>${e(title)}</h1>
<table class="facts"><tbody>${facts.join('')}</tbody></table>
<div class="tables">
<table class="summary"><caption>Summary</caption><tbody>${summary.join('')}</tbody></table>
<table class="stages"><caption>Stages</caption><thead><tr><th>Stage</th><th>Minutes</th><th>% of TST</th><th>Latency (min)</th></tr></thead><tbody>${stageRows.join('')}</tbody></table>
</div>
${evaluation}
<figure>${view.svg}</figure>
</body>
</html>
`;
}
