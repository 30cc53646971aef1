import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { SpecError, type SpecIssue } from '../errors.js';
import { SweepSpec } from './schema.js';

const DISCRIMINATORS = new Set<PropertyKey>(['builtin', 'topology', 'csv']);

/**
 * Flattens zod's issues. For a union (model, dataset), zod reports every branch; we keep only the
 * branch whose discriminator matched, so `model.hidden[0]` is named rather than "invalid input".
 */
function leafIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): { path: PropertyKey[]; issue: z.core.$ZodIssue }[] {
  const out: { path: PropertyKey[]; issue: z.core.$ZodIssue }[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const missesDiscriminator = (branch: readonly z.core.$ZodIssue[]) =>
        branch.some((i) => i.path.length === 1 && DISCRIMINATORS.has(i.path[0]!) && (i.code === 'invalid_value' || i.code === 'invalid_type'));
      const matching = issue.errors.filter((branch) => !missesDiscriminator(branch));
      if (matching.length === 1) {
        out.push(...leafIssues(matching[0]!, path));
        continue;
      }
    }
    out.push({ path, issue });
  }
  return out;
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const d = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let previous = d[0]!;
      d[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = d[j]!;
        d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
        previous = current;
      }
    }
    return d[b.length]!;
  };
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = distance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) [best, bestDistance] = [c, dist];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Known keys of the object at `path`, for "did you mean" hints on unknown keys. */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  const table: Record<string, string[]> = {
    '': ['name', 'seed', 'model', 'dataset', 'optimizer', 'batchSize', 'grid', 'search', 'pruning', 'final', 'rangeTest'],
    model: ['builtin', 'hidden', 'activation', 'filters', 'kernelSize', 'dense', 'topology'],
    dataset: ['builtin', 'csv', 'validationFraction', 'sampleFraction', 'classes', 'pointsPerClass', 'noise'],
    optimizer: ['name', 'momentum', 'nesterov', 'beta1', 'beta2', 'epsilon', 'rho'],
    grid: ['min', 'max', 'points'],
    search: ['strategy', 'minSteps', 'maxSteps', 'reductionFactor', 'reportEvery'],
    pruning: ['divergenceFactor', 'stagnation'],
    'pruning.stagnation': ['windowSteps', 'minRelImprovement'],
    final: ['epochs', 'schedule', 'warmRestarts', 'divergenceGuard', 'reduceOnPlateau'],
    'final.warmRestarts': ['cycleEpochs', 'cycleSteps', 'cycleMult'],
    'final.divergenceGuard': ['enabled', 'divergenceFactor', 'factor', 'maxRetries', 'checkpointEvery'],
    'final.reduceOnPlateau': ['monitor', 'patience', 'factor', 'minDelta', 'cooldown', 'minRate', 'everySteps'],
    rangeTest: ['min', 'max', 'steps', 'seeds', 'beta', 'divergenceFactor'],
  };
  return table[path.map(String).join('.')] ?? [];
}

function fixFor(issue: z.core.$ZodIssue, path: readonly PropertyKey[]): string {
  const where = fieldPath(path) || 'the spec';
  switch (issue.code) {
    case 'invalid_type': {
      const what = `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
      return issue.input === undefined ? `add ${where} (${what})` : `set ${where} to ${what}`;
    }
    case 'too_small':
      return `set ${where} to ${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}`;
    case 'too_big':
      return `set ${where} to ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `set ${where} to one of: ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'unrecognized_keys':
      return issue.keys
        .map((k) => {
          const guess = closest(k, knownKeysAt(path));
          return guess ? `rename '${k}' to '${guess}'` : `remove '${k}' (allowed: ${knownKeysAt(path).join(', ') || 'none'})`;
        })
        .join('; ');
    case 'invalid_format':
      return `change ${where} to match the expected format`;
    case 'invalid_union':
      return `rewrite ${where} in one of the accepted forms (see examples/)`;
    default:
      return `correct ${where} as the message says`;
  }
}

/** Validates an already-parsed spec object. Throws SpecError listing every problem. */
export function parseSpec(input: unknown, source?: string): SweepSpec {
  // reportInput: zod 4 leaves `issue.input` out unless asked, and the messages below need it to
  // tell a missing field ("is required") from one of the wrong type.
  const result = SweepSpec.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const issues: SpecIssue[] = leafIssues(result.error.issues).map(({ path, issue }) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    if (issue.code === 'invalid_value' && message.startsWith('Invalid option')) message = `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
    if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
    return { path: fieldPath(path), message, fix: fixFor(issue, path) };
  });
  throw new SpecError(issues, source);
}

/** Parses YAML or JSON text (JSON is YAML) and validates it. */
export function parseSpecText(text: string, source?: string): SweepSpec {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new SpecError(
      doc.errors.map((e) => ({ path: '', message: e.message.split('\n')[0] ?? e.message, fix: 'fix the YAML/JSON syntax at the line shown' })),
      source,
    );
  }
  return parseSpec(doc.toJS(), source);
}

/**
 * Loads a spec file. Paths inside it (topology, csv.path) are resolved against the file's folder,
 * so a spec works from any working directory.
 */
export function loadSpecFile(path: string): SweepSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new SpecError([{ path: '', message: `cannot read ${path}: ${(cause as Error).message}`, fix: 'pass the path of an existing .yaml or .json spec' }], path, { cause });
  }
  return resolveSpecPaths(parseSpecText(text, path), dirname(resolve(path)));
}

export function resolveSpecPaths(spec: SweepSpec, baseDir: string): SweepSpec {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  let model = 'topology' in spec.model ? { ...spec.model, topology: abs(spec.model.topology) } : spec.model;
  if (model.pretrained) model = { ...model, pretrained: { ...model.pretrained, path: abs(model.pretrained.path) } };
  const dataset = 'csv' in spec.dataset ? { ...spec.dataset, csv: { ...spec.dataset.csv, path: abs(spec.dataset.csv.path) } } : spec.dataset;
  return { ...spec, model, dataset };
}
