import type { RangeTestReport } from '@lrsweep/shared';
import { formatRate } from './format.js';

const WIDTH = 960;
const HEIGHT = 560;
const MARGIN = { left: 72, right: 250, top: 64, bottom: 64 };
const SEED_COLORS = ['#4e79a7', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#bab0ac', '#86bcb6'];
const MARKS = [
  { key: 'valley', label: 'valley', color: '#e15759' },
  { key: 'steep', label: 'steepest', color: '#f28e2b' },
  { key: 'minimum', label: 'min / 10', color: '#7f3c8d' },
] as const;

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fixed = (n: number) => n.toFixed(1);

/**
 * The loss-against-rate curve of a range test as a standalone SVG: a log rate axis with decade
 * ticks, every seed's raw (faint) and smoothed losses, the median across seeds, the suggested
 * interval shaded and each suggestion marked. The loss axis is clipped a little above the
 * starting loss so the blow-up does not flatten the interesting part.
 */
export function renderRangeTestSvg(report: RangeTestReport): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const all = report.runs.flatMap((r) => r.curve).filter((p) => Number.isFinite(p.loss) && p.lr > 0);
  const xMin = Math.log10(report.settings.min);
  const xMax = Math.log10(Math.max(report.settings.min * 10, ...all.map((p) => p.lr)));
  const smoothed = all.map((p) => p.smoothed).filter(Number.isFinite);
  const start = report.curve.slice(0, Math.max(1, Math.floor(report.curve.length / 10))).map((p) => p.smoothed);
  const yLow = Math.min(...smoothed, ...all.map((p) => p.loss)) * 0.95;
  const yHigh = Math.max(...start, ...smoothed.slice(0, 1)) * 1.35;
  const yMin = Number.isFinite(yLow) ? Math.max(0, yLow) : 0;
  const yMax = Number.isFinite(yHigh) && yHigh > yMin ? yHigh : yMin + 1;
  const x = (lr: number) => MARGIN.left + ((Math.log10(lr) - xMin) / (xMax - xMin)) * plotW;
  const y = (loss: number) => MARGIN.top + (1 - (Math.min(Math.max(loss, yMin), yMax) - yMin) / (yMax - yMin)) * plotH;
  const path = (points: readonly { lr: number; v: number }[]) => {
    const ok = points.filter((p) => Number.isFinite(p.v) && p.lr > 0);
    return ok.map((p, i) => `${i === 0 ? 'M' : 'L'}${fixed(x(p.lr))},${fixed(y(p.v))}`).join('');
  };

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="28" font-size="17" font-weight="bold">LR range test: ${escape(report.name)}</text>`,
    `<text x="${MARGIN.left}" y="46" fill="#555">${escape(
      `${report.settings.model}, ${report.settings.optimizer}, batch ${report.settings.batchSize}, ${report.seeds} seed${report.seeds === 1 ? '' : 's'}, backend ${report.backend}; agreement ${(report.agreement * 100).toFixed(0)}%`,
    )}</text>`,
    `<defs><clipPath id="plot"><rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}"/></clipPath></defs>`,
  );

  // Grid and axes: a tick per decade, light minor ticks at 2..9.
  for (let d = Math.ceil(xMin); d <= Math.floor(xMax); d++) {
    const px = fixed(x(10 ** d));
    out.push(`<line x1="${px}" y1="${MARGIN.top}" x2="${px}" y2="${MARGIN.top + plotH}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${px}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${escape(formatRate(10 ** d))}</text>`);
    for (let m = 2; m <= 9; m++) {
      const lx = Math.log10(m * 10 ** d);
      if (lx < xMax) out.push(`<line x1="${fixed(x(10 ** lx))}" y1="${MARGIN.top + plotH}" x2="${fixed(x(10 ** lx))}" y2="${MARGIN.top + plotH + 4}" stroke="#999"/>`);
    }
  }
  const yStep = niceStep((yMax - yMin) / 6);
  for (let v = Math.ceil(yMin / yStep) * yStep; v <= yMax + 1e-12; v += yStep) {
    const py = fixed(y(v));
    out.push(`<line x1="${MARGIN.left}" y1="${py}" x2="${MARGIN.left + plotW}" y2="${py}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${MARGIN.left - 8}" y="${py}" dy="4" text-anchor="end">${Number(v.toPrecision(3))}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 18}" text-anchor="middle" font-size="13">learning rate (log scale)</text>`);
  out.push(`<text transform="translate(20 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="13">training loss</text>`);

  out.push(`<g clip-path="url(#plot)">`);
  if (report.range) {
    const [x0, x1] = [x(report.range.min), x(report.range.max)];
    out.push(`<rect x="${fixed(x0)}" y="${MARGIN.top}" width="${fixed(Math.max(1, x1 - x0))}" height="${plotH}" fill="#59a14f" fill-opacity="0.12"/>`);
  }
  report.runs.forEach((run, i) => {
    const color = SEED_COLORS[i % SEED_COLORS.length]!;
    out.push(`<path d="${path(run.curve.map((p) => ({ lr: p.lr, v: p.loss })))}" fill="none" stroke="${color}" stroke-opacity="0.25" stroke-width="1"/>`);
    out.push(`<path d="${path(run.curve.map((p) => ({ lr: p.lr, v: p.smoothed })))}" fill="none" stroke="${color}" stroke-width="1.6"/>`);
  });
  if (report.runs.length > 1) {
    out.push(`<path d="${path(report.curve.map((p) => ({ lr: p.lr, v: p.smoothed })))}" fill="none" stroke="#222" stroke-width="2.6"/>`);
  }
  for (const mark of MARKS) {
    const rate = report.suggestions[mark.key];
    if (rate == null) continue;
    const px = fixed(x(rate));
    out.push(`<line x1="${px}" y1="${MARGIN.top}" x2="${px}" y2="${MARGIN.top + plotH}" stroke="${mark.color}" stroke-width="1.6" stroke-dasharray="6 4"/>`);
  }
  out.push(`</g>`);

  // Legend, with the numbers, to the right of the plot.
  const lx = MARGIN.left + plotW + 16;
  let ly = MARGIN.top + 8;
  const legend = (swatch: string, text: string) => {
    out.push(swatch.replace(/\{x\}/g, String(lx)).replace(/\{y\}/g, String(ly)));
    out.push(`<text x="${lx + 26}" y="${ly + 4}">${escape(text)}</text>`);
    ly += 20;
  };
  for (const mark of MARKS) {
    const spread = report.spread[mark.key];
    const spreadText = spread && report.seeds > 1 ? ` (±${(spread.decades / 2).toFixed(2)} dec)` : '';
    legend(`<line x1="{x}" y1="{y}" x2="${lx + 20}" y2="{y}" stroke="${mark.color}" stroke-width="2" stroke-dasharray="6 4"/>`, `${mark.label} ${formatRate(report.suggestions[mark.key])}${spreadText}`);
  }
  if (report.range) legend(`<rect x="{x}" y="${ly - 6}" width="20" height="12" fill="#59a14f" fill-opacity="0.25"/>`, `range ${formatRate(report.range.min)} – ${formatRate(report.range.max)}`);
  if (report.runs.length > 1) legend(`<line x1="{x}" y1="{y}" x2="${lx + 20}" y2="{y}" stroke="#222" stroke-width="2.6"/>`, 'median of seeds');
  report.runs.forEach((run, i) => {
    const color = SEED_COLORS[i % SEED_COLORS.length]!;
    legend(`<line x1="{x}" y1="{y}" x2="${lx + 20}" y2="{y}" stroke="${color}" stroke-width="1.6"/>`, `seed ${i + 1}: ${run.stopReason === 'completed' ? 'ran to max' : `${run.stopReason} at step ${run.steps}`}`);
  });
  out.push(`<text x="${lx}" y="${ly + 10}" fill="#777" font-size="11">faint: raw loss; solid: smoothed</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const n = raw / power;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * power;
}
