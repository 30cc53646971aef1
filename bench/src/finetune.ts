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
  /** The spec seed (data sample, fresh head's initialisation, data order). */
  seed: number;
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
    seed: spec.seed,
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

export async function runFinetune(options: { workers: number; backend: string; seeds?: number; log?: (line: string) => void }): Promise<FinetuneResult> {
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
  const run = async (seed: number, name: string, file: string, description: string, edit?: (spec: SweepSpec) => SweepSpec) => {
    let spec = loadSpecFile(join(EXAMPLES, file));
    spec = parseSpec(edit ? edit({ ...spec, seed }) : { ...spec, seed });
    log(`fine-tuning (seed ${seed}): ${name} ...`);
    const result = await sweep(spec, options.workers, options.backend, modelsDir);
    const variant = variantOf(name, `examples/finetune/${file}`, description, spec, result);
    log(`  ${variant.state}, best ${variant.best?.toPrecision(2) ?? '—'}, val accuracy ${variant.valAccuracy === null ? '—' : (100 * variant.valAccuracy).toFixed(1) + '%'}`);
    variants.push(variant);
    return variant;
  };
  const firstSeed = loadSpecFile(join(EXAMPLES, 'one-rate.yaml')).seed;
  // Each seed draws another 250-example sample, fresh head and data order: the spread over seeds
  // says how much of a difference between variants is noise.
  for (let s = 0; s < (options.seeds ?? 1); s++) {
    const seed = firstSeed + s;
    const oneRate = await run(seed, 'one rate for all layers', 'one-rate.yaml', 'ASHA over the rate of the whole model');
    await run(seed, 'discriminative, spread 100', 'discriminative-spread-100.yaml', 'ASHA over the head rate; conv1 at 1/100 of it, geometric in between (fastai slice(lr/100, lr))');
    const base = oneRate.best ?? 0.1;
    await run(seed, 'discriminative, spread swept', 'discriminative-sweep-spread.yaml', `head fixed at the one-rate best; ASHA over conv1's rate from base/10^4 to base`, (spec) => ({
      ...spec,
      grid: { ...spec.grid, min: base / 1e4, max: base },
      layerGroups: { ...spec.layerGroups!, base },
    }));
    await run(seed, 'frozen body, head only', 'frozen-body.yaml', 'ASHA over the head rate; conv1, conv2, dense1 frozen');
  }
  return { backend: pretrain.backend, pretrain: { valAccuracy: pretrain.final.valAccuracy, steps: pretrain.budget.stepsSpent + pretrain.final.steps, wallSeconds: pretrain.wallSeconds, modelPath: PRETRAINED }, variants };
}

export function formatFinetune(result: FinetuneResult): string {
  const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);
  const seeds = [...new Set(result.variants.map((v) => v.seed))];
  const names = [...new Set(result.variants.map((v) => v.name))];
  const baselineOf = (seed: number) => result.variants.find((v) => v.seed === seed && v.name === names[0]);
  const rows = result.variants.map((v) => {
    const baseline = baselineOf(v.seed);
    const delta = v.valAccuracy !== null && baseline?.valAccuracy != null ? `${((v.valAccuracy - baseline.valAccuracy) * 100 >= 0 ? '+' : '')}${((v.valAccuracy - baseline.valAccuracy) * 100).toFixed(1)}` : '—';
    const rates = v.groupRates.map((g) => `${g.group} ${g.rate === 0 ? '0' : g.rate.toPrecision(2)}`).join(', ');
    return `| ${v.seed} | ${v.name} | ${v.state} | ${v.best?.toPrecision(2) ?? '—'} | ${rates || '—'} | ${v.searchSteps} | ${v.finalSteps} | ${pct(v.valAccuracy)} | ${delta} | ${v.wallSeconds.toFixed(0)} s |`;
  });
  const summary = names.map((name) => {
    const accs = result.variants.filter((v) => v.name === name && v.valAccuracy !== null).map((v) => v.valAccuracy!);
    const deltas = seeds.flatMap((seed) => {
      const v = result.variants.find((x) => x.seed === seed && x.name === name);
      const b = baselineOf(seed);
      return v?.valAccuracy != null && b?.valAccuracy != null ? [v.valAccuracy - b.valAccuracy] : [];
    });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
    const steps = mean(result.variants.filter((v) => v.name === name).map((v) => v.searchSteps + v.finalSteps));
    return `| ${name} | ${accs.length} | ${pct(mean(accs))} ± ${(100 * sd(accs)).toFixed(1)} | ${deltas.length ? `${mean(deltas) >= 0 ? '+' : ''}${(100 * mean(deltas)).toFixed(1)} (${deltas.filter((d) => d > 0).length} of ${deltas.length} seeds better)` : '—'} | ${steps.toFixed(0)} |`;
  });
  return [
    `fine-tuning on MNIST digits 5-9 (250 training examples, ${result.backend}, seeds ${seeds.join(', ')}); the CNN was pre-trained on digits 0-4 (${result.pretrain.steps} steps, ${pct(result.pretrain.valAccuracy)} on 0-4) and its head starts fresh. Baseline: one rate for all layers, same seed, run in the same process.`,
    '',
    '| variant | seeds | val acc (5-9), mean ± sd | vs one rate, points (mean) | steps (search + final), mean |',
    '|---|---|---|---|---|',
    ...summary,
    '',
    '| seed | variant | state | best swept value | peak rate per group (final) | search steps | final steps | val acc (5-9) | vs one rate (points) | wall |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
