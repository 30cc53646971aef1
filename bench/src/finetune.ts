import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { groupRates, loadSpecFile, parseSpec, resolveLayerGroups, builtinWeightedLayerNames, type SweepSpec } from '@lrsweep/shared';
import { runLocalSweep, toResult, type SweepResult } from '@lrsweep/cli';

/**
 * The fine-tuning comparison of examples/finetune: a CNN pre-trained on MNIST digits 0-4 is
 * fine-tuned on a small sample of digits 5-9, once with one rate for all layers and then with
 * discriminative rates (a fixed fastai-style spread, a spread swept by lrsweep, a frozen body).
 * Every variant is a real lrsweep sweep (ASHA over its grid, then the final one-cycle training).
 */

export interface FinetuneVariant {
  name: string;
  spec: string;
  description: string;
  state: string;
  /** The swept value of the best trial (its meaning depends on layerGroups.sweep). */
  best: number | null;
  /** Each group's rate at the top of the final schedule. */
  groupRates: { group: string; rate: number }[];
  searchSteps: number;
  finalSteps: number;
  valAccuracy: number | null;
  valLoss: number | null;
  wallSeconds: number;
  error: string | null;
}

export interface FinetuneResult {
  backend: string;
  pretrain: { valAccuracy: number | null; steps: number; wallSeconds: number; modelPath: string };
  /** Accuracy on digits 5-9 of the pre-trained model before any fine-tuning (its head knows only 0-4). */
  variants: FinetuneVariant[];
}

const EXAMPLES = resolve('examples/finetune');
const PRETRAINED = resolve('.lrsweep/finetune/pretrained/model.json');

function peakGroupRates(spec: SweepSpec, lrMax: number): { group: string; rate: number }[] {
  if (!('builtin' in spec.model)) return [];
  const groups = resolveLayerGroups(spec.layerGroups, builtinWeightedLayerNames(spec.model));
  return groupRates(spec.layerGroups, groups, lrMax).map((rate, i) => ({ group: groups[i]!.name, rate }));
}

async function sweep(spec: SweepSpec, workers: number, backend: string, modelsDir: string): Promise<SweepResult> {
  return toResult(await runLocalSweep(spec, { workers, backend, modelsDir, verbose: false }));
}

function variantOf(name: string, specPath: string, description: string, spec: SweepSpec, result: SweepResult): FinetuneVariant {
  return {
    name,
    spec: specPath,
    description,
    state: result.state,
    best: result.best?.lr ?? null,
    groupRates: result.final ? peakGroupRates(spec, result.final.lrMax) : [],
    searchSteps: result.budget.stepsSpent,
    finalSteps: result.final?.steps ?? 0,
    valAccuracy: result.final?.valAccuracy ?? null,
    valLoss: result.final?.valLoss ?? null,
    wallSeconds: result.wallSeconds,
    error: result.error,
  };
}

export async function runFinetune(options: { workers: number; backend: string; log?: (line: string) => void }): Promise<FinetuneResult> {
  const log = options.log ?? (() => undefined);
  const modelsDir = mkdtempSync(join(tmpdir(), 'lrsweep-finetune-'));
  log('pre-training the CNN on digits 0-4 ...');
  const pretrainSpec = loadSpecFile(join(EXAMPLES, 'pretrain-digits-0-4.yaml'));
  const pretrain = await sweep(pretrainSpec, options.workers, options.backend, modelsDir);
  if (!pretrain.final?.modelPath) throw new Error(`pre-training did not produce a model (${pretrain.state}: ${pretrain.error ?? 'no final training'})`);
  // Where the example specs expect it (model.json + weights.bin).
  mkdirSync(dirname(PRETRAINED), { recursive: true });
  for (const file of ['model.json', 'weights.bin']) copyFileSync(join(dirname(pretrain.final.modelPath), file), join(dirname(PRETRAINED), file));
  log(`pre-trained: val accuracy on digits 0-4 ${(100 * (pretrain.final.valAccuracy ?? NaN)).toFixed(1)}% -> ${PRETRAINED}`);

  const variants: FinetuneVariant[] = [];
  const run = async (name: string, file: string, description: string, edit?: (spec: SweepSpec) => SweepSpec) => {
    let spec = loadSpecFile(join(EXAMPLES, file));
    if (edit) spec = parseSpec(edit(spec));
    log(`fine-tuning: ${name} ...`);
    const result = await sweep(spec, options.workers, options.backend, modelsDir);
    const variant = variantOf(name, `examples/finetune/${file}`, description, spec, result);
    log(`  ${variant.state}, best ${variant.best?.toPrecision(2) ?? '—'}, val accuracy ${variant.valAccuracy === null ? '—' : (100 * variant.valAccuracy).toFixed(1) + '%'}`);
    variants.push(variant);
    return variant;
  };
  const oneRate = await run('one rate for all layers', 'one-rate.yaml', 'ASHA over the rate of the whole model');
  await run('discriminative, spread 100', 'discriminative-spread-100.yaml', 'ASHA over the head rate; conv1 at 1/100 of it, geometric in between (fastai slice(lr/100, lr))');
  const base = oneRate.best ?? 0.1;
  await run('discriminative, spread swept', 'discriminative-sweep-spread.yaml', `head fixed at the one-rate best (${base.toPrecision(2)}); ASHA over conv1's rate from base/10^4 to base`, (spec) => ({
    ...spec,
    grid: { ...spec.grid, min: base / 1e4, max: base },
    layerGroups: { ...spec.layerGroups!, base },
  }));
  await run('frozen body, head only', 'frozen-body.yaml', 'ASHA over the head rate; conv1, conv2, dense1 frozen');
  return { backend: pretrain.backend, pretrain: { valAccuracy: pretrain.final.valAccuracy, steps: pretrain.budget.stepsSpent + pretrain.final.steps, wallSeconds: pretrain.wallSeconds, modelPath: PRETRAINED }, variants };
}

export function formatFinetune(result: FinetuneResult): string {
  const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);
  const baseline = result.variants[0];
  const rows = result.variants.map((v) => {
    const delta = v.valAccuracy !== null && baseline?.valAccuracy != null ? `${((v.valAccuracy - baseline.valAccuracy) * 100 >= 0 ? '+' : '')}${((v.valAccuracy - baseline.valAccuracy) * 100).toFixed(1)}` : '—';
    const rates = v.groupRates.map((g) => `${g.group} ${g.rate === 0 ? '0' : g.rate.toPrecision(2)}`).join(', ');
    return `| ${v.name} | ${v.state} | ${v.best?.toPrecision(2) ?? '—'} | ${rates || '—'} | ${v.searchSteps} | ${v.finalSteps} | ${pct(v.valAccuracy)} | ${delta} | ${v.wallSeconds.toFixed(0)} s |`;
  });
  return [
    `fine-tuning on MNIST digits 5-9 (250 training examples, ${result.backend}); the CNN was pre-trained on digits 0-4 (${result.pretrain.steps} steps, ${pct(result.pretrain.valAccuracy)} on 0-4) and its head starts fresh. Baseline: one rate for all layers, run in the same process.`,
    '',
    '| variant | state | best swept value | peak rate per group (final) | search steps | final steps | val acc (5-9) | vs one rate (points) | wall |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
