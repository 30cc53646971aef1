import { writeFileSync } from 'node:fs';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { loadSpecFile, type RangeTestReport } from '@lrsweep/shared';
import { runRangeTest, type BackendChoice } from '@lrsweep/worker';
import { formatRate, table } from '../render/format.js';
import { renderRangeTestSvg } from '../render/svg.js';

export interface RangeTestCommandOptions {
  json?: boolean;
  plot?: string;
  seeds?: number;
  processes?: number;
  backend: BackendChoice;
}

export async function rangeTestCommand(specPath: string, options: RangeTestCommandOptions): Promise<void> {
  const spec = loadSpecFile(specPath);
  const seeds = options.seeds ?? spec.rangeTest.seeds;
  const showBars = !options.json && process.stderr.isTTY;
  const bars = showBars
    ? new MultiBar({ format: ' seed {index} [{bar}] {value}/{total} steps  lr {lr}  loss {loss}', hideCursor: true, clearOnComplete: false, stream: process.stderr }, Presets.shades_classic)
    : undefined;
  const seedBars: SingleBar[] = [];
  for (let k = 0; k < seeds; k++) seedBars.push(bars?.create(spec.rangeTest.steps, 0, { index: k + 1, lr: '—', loss: '—' }) as SingleBar);
  if (!options.json && !showBars) process.stderr.write(`range test: ${seeds} seed(s) × ${spec.rangeTest.steps} steps, ${formatRate(spec.rangeTest.min)} → ${formatRate(spec.rangeTest.max)}\n`);

  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  let report: RangeTestReport;
  try {
    report = await runRangeTest(spec, {
      seeds,
      backend: options.backend,
      signal: abort.signal,
      ...(options.processes !== undefined ? { processes: options.processes } : {}),
      onStep: (k, p) => seedBars[k]?.update(p.step + 1, { lr: formatRate(p.learningRate), loss: Number.isFinite(p.loss) ? p.loss.toFixed(3) : String(p.loss) }),
    });
  } finally {
    bars?.stop();
    process.off('SIGINT', onSignal);
  }

  if (options.plot) writeFileSync(options.plot, renderRangeTestSvg(report));
  if (options.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  process.stdout.write(summarize(report) + (options.plot ? `\nplot written to ${options.plot}\n` : ''));
}

export function summarize(report: RangeTestReport): string {
  const spreadCell = (key: 'valley' | 'steep' | 'minimum' | 'rangeMin' | 'rangeMax') => {
    const s = report.spread[key];
    return s && report.seeds > 1 ? `${formatRate(s.min)} – ${formatRate(s.max)} (${s.decades.toFixed(2)} decades)` : '';
  };
  const rows = [
    ['suggestion', 'rate', report.seeds > 1 ? `spread over ${report.seeds} seeds` : ''],
    ['valley', formatRate(report.suggestions.valley), spreadCell('valley')],
    ['steepest', formatRate(report.suggestions.steep), spreadCell('steep')],
    ['min / 10', formatRate(report.suggestions.minimum), spreadCell('minimum')],
    ['range: loss starts to fall', formatRate(report.range?.min), spreadCell('rangeMin')],
    ['range: loss stops improving', formatRate(report.range?.max), spreadCell('rangeMax')],
  ];
  const lines = [
    `LR range test ${report.name}: ${report.settings.model}, ${report.settings.optimizer}, batch ${report.settings.batchSize}, backend ${report.backend}, ${report.wallSeconds.toFixed(1)} s`,
    '',
    table(rows),
    '',
    `agreement: ${(report.agreement * 100).toFixed(0)}% of seeds put their valley inside the range`,
  ];
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}
