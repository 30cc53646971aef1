/**
 * Layer groups: discriminative learning rates (fastai's `slice(lo, hi)` over layer groups).
 *
 * The sweep still searches one number per trial, `x`, so the coordinator, the pruning rules and
 * ASHA work unchanged; what `x` means depends on `layerGroups.sweep`:
 * - `base`: x is the rate of the last group (the head); group i trains at x · multiplier[i].
 * - `spread`: x is the rate of the FIRST group while the last stays at `base`; the groups in
 *   between are spread geometrically, so the ratio swept is base / x. Sweeping the low end rather
 *   than the ratio keeps "higher x, higher rates", which the ordered-grid rule relies on.
 * - `{ group }`: x is that group's rate; the others stay at base · multiplier[i].
 * Everything here is pure, so the coordinator (at submission), the worker and the CLI agree.
 */

export interface LayerGroupDefinition {
  name: string;
  /** Glob patterns (`*`, `?`) over layer names. */
  layers?: string[] | undefined;
  /** First and last layer with weights, inclusive, 0-based; negative counts from the end (-1: last). */
  indices?: [number, number] | undefined;
  frozen: boolean;
}

export type LayerGroupSweep = 'base' | 'spread' | { group: string };

export interface LayerGroupsConfig {
  /** Omitted: one group per layer with weights, in order. */
  groups?: LayerGroupDefinition[] | undefined;
  /** Rate of the last group over the first's; groups in between are spread geometrically. */
  spread?: number | undefined;
  /** One multiplier of the base rate per group (alternative to spread). */
  multipliers?: number[] | undefined;
  sweep: LayerGroupSweep;
  /** The last group's rate when the sweep is `spread` or one group. */
  base?: number | undefined;
}

export interface ResolvedLayerGroup {
  name: string;
  /** Indices into the model's layers with weights. */
  layers: number[];
  frozen: boolean;
}

export class LayerGroupError extends Error {
  override readonly name = 'LayerGroupError';
  constructor(
    message: string,
    /** Path in the spec, e.g. `layerGroups.groups.1.layers`. */
    readonly field: string,
  ) {
    super(message);
  }
}

/** Names the built-in models give their layers with weights (see worker models/build.ts). */
export function builtinWeightedLayerNames(model: { builtin: 'mlp'; hidden: number[] } | { builtin: 'cnn'; filters: number[]; dense: number[] }): string[] {
  if (model.builtin === 'mlp') return [...model.hidden.map((_, i) => `hidden${i + 1}`), 'logits'];
  return [...model.filters.map((_, i) => `conv${i + 1}`), ...model.dense.map((_, i) => `dense${i + 1}`), 'logits'];
}

/** A glob over layer names (`*`, `?`) as an anchored regular expression. */
export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/**
 * Assigns every layer with weights to exactly one group. Throws a LayerGroupError naming the spec
 * field when a pattern matches nothing, a layer is in two groups, or a layer is in none.
 */
export function resolveLayerGroups(spec: LayerGroupsConfig | undefined, layerNames: readonly string[]): ResolvedLayerGroup[] {
  if (!spec?.groups) {
    if (!spec) return [{ name: 'all', layers: layerNames.map((_, i) => i), frozen: false }];
    return layerNames.map((name, i) => ({ name, layers: [i], frozen: false }));
  }
  const owner = new Map<number, number>();
  const groups = spec.groups.map((group, g): ResolvedLayerGroup => {
    const field = `layerGroups.groups.${g}`;
    const picked = new Set<number>();
    if (group.layers) {
      group.layers.forEach((pattern, p) => {
        const re = globToRegExp(pattern);
        const hits = layerNames.flatMap((name, i) => (re.test(name) ? [i] : []));
        if (hits.length === 0) {
          throw new LayerGroupError(`pattern '${pattern}' matches no layer with weights; the model has: ${layerNames.join(', ')}`, `${field}.layers.${p}`);
        }
        for (const i of hits) picked.add(i);
      });
    } else if (group.indices) {
      const n = layerNames.length;
      const [first, last] = group.indices.map((i) => (i < 0 ? n + i : i)) as [number, number];
      if (first < 0 || first >= n || last < 0 || last >= n) {
        throw new LayerGroupError(`indices [${group.indices.join(', ')}] are outside the model's ${n} layers with weights (0..${n - 1}, or -${n}..-1 from the end)`, `${field}.indices`);
      }
      if (first > last) throw new LayerGroupError(`indices [${group.indices.join(', ')}] are in the wrong order: the first must not come after the last`, `${field}.indices`);
      for (let i = first; i <= last; i++) picked.add(i);
    }
    for (const i of picked) {
      const other = owner.get(i);
      if (other !== undefined) {
        throw new LayerGroupError(`layer '${layerNames[i]}' is in groups '${spec.groups![other]!.name}' and '${group.name}'; a layer belongs to one group`, `${field}`);
      }
      owner.set(i, g);
    }
    return { name: group.name, layers: [...picked].sort((a, b) => a - b), frozen: group.frozen };
  });
  const orphans = layerNames.filter((_, i) => !owner.has(i));
  if (orphans.length > 0) {
    throw new LayerGroupError(`layers ${orphans.map((n) => `'${n}'`).join(', ')} are in no group; add them to a group (a pattern '*' in a last group catches the rest)`, 'layerGroups.groups');
  }
  if (groups.every((g) => g.frozen)) throw new LayerGroupError('every group is frozen, so nothing would train; unfreeze at least one', 'layerGroups.groups');
  return groups;
}

/** Each group's multiplier of the base rate: geometric from 1/spread (first) to 1 (last), or the list given. */
export function groupMultipliers(spec: LayerGroupsConfig | undefined, groupCount: number): number[] {
  if (spec?.multipliers) return [...spec.multipliers];
  const spread = spec?.spread ?? 1;
  if (groupCount <= 1) return Array.from({ length: groupCount }, () => 1);
  return Array.from({ length: groupCount }, (_, i) => spread ** (-(groupCount - 1 - i) / (groupCount - 1)));
}

/**
 * The rate of every group for the swept value `x` (frozen groups get 0). Linear in x for the
 * `base` sweep; for `spread` the middle groups move geometrically between x and base.
 */
export function groupRates(spec: LayerGroupsConfig | undefined, groups: readonly ResolvedLayerGroup[], x: number): number[] {
  const n = groups.length;
  let rates: number[];
  const sweep = spec?.sweep ?? 'base';
  if (sweep === 'base') {
    rates = groupMultipliers(spec, n).map((m) => x * m);
  } else if (sweep === 'spread') {
    const base = spec!.base!;
    rates = groups.map((_, i) => (n <= 1 ? base : x * (base / x) ** (i / (n - 1))));
  } else {
    const base = spec!.base!;
    const multipliers = groupMultipliers(spec, n);
    rates = groups.map((g, i) => (g.name === sweep.group ? x : base * multipliers[i]!));
  }
  return rates.map((r, i) => (groups[i]!.frozen ? 0 : r));
}

/** What the swept value is, in words, for tables and logs ("lr", "first-group lr", "lr of head"). */
export function sweptQuantity(spec: LayerGroupsConfig | undefined): string {
  const sweep = spec?.sweep ?? 'base';
  if (sweep === 'base') return spec ? 'base lr (last group)' : 'lr';
  if (sweep === 'spread') return 'first-group lr (spread = base / it)';
  return `lr of group '${sweep.group}'`;
}

/** Checks of a layerGroups section against the model that need no weights; returns [path, message] pairs. */
export function checkLayerGroups(spec: LayerGroupsConfig, layerNames: readonly string[] | undefined, gridMax: number): [string, string][] {
  const problems: [string, string][] = [];
  const names = spec.groups?.map((g) => g.name);
  if (names) {
    const seen = new Set<string>();
    names.forEach((name, i) => {
      if (seen.has(name)) problems.push([`layerGroups.groups.${i}.name`, `'${name}' names two groups; group names must be unique`]);
      seen.add(name);
    });
  }
  const count = names?.length ?? layerNames?.length;
  if (spec.spread !== undefined && spec.multipliers !== undefined) {
    problems.push(['layerGroups.multipliers', 'give either spread or multipliers, not both']);
  }
  if (spec.multipliers && count !== undefined && spec.multipliers.length !== count) {
    problems.push(['layerGroups.multipliers', `has ${spec.multipliers.length} entries for ${count} groups; give one multiplier per group`]);
  }
  if (spec.sweep !== 'base' && spec.base === undefined) {
    problems.push(['layerGroups.base', `is required when sweep is ${typeof spec.sweep === 'string' ? `'${spec.sweep}'` : 'one group'}: it is the last group's rate (e.g. the best rate of a plain sweep)`]);
  }
  if (spec.sweep === 'spread') {
    if (spec.spread !== undefined || spec.multipliers !== undefined) {
      problems.push(['layerGroups.sweep', "sweep 'spread' searches the ratio itself; remove layerGroups.spread / multipliers"]);
    }
    if (count !== undefined && count < 2) problems.push(['layerGroups.sweep', "sweep 'spread' needs at least two groups"]);
    if (spec.base !== undefined && gridMax > spec.base) {
      problems.push(['grid.max', `sweep 'spread' searches the first group's rate below base (${spec.base}); use a grid.max of at most base`]);
    }
  }
  if (typeof spec.sweep === 'object') {
    const swept = spec.sweep.group;
    const index = names ? names.indexOf(swept) : (layerNames?.indexOf(swept) ?? -1);
    if (names || layerNames) {
      if (index < 0) problems.push(['layerGroups.sweep.group', `names no group; the groups are ${(names ?? layerNames)!.join(', ')}`]);
      else if (spec.groups?.[index]?.frozen) problems.push(['layerGroups.sweep.group', `'${swept}' is frozen; a frozen group has no rate to sweep`]);
    }
  }
  if (layerNames && problems.length === 0) {
    try {
      resolveLayerGroups(spec, layerNames);
    } catch (error) {
      if (error instanceof LayerGroupError) problems.push([error.field, error.message]);
      else throw error;
    }
  }
  return problems;
}

/**
 * Rates of the final training: every group's rate at the top of the surviving range (`lrMax`),
 * scaled by the schedule's value over lrMax, so all groups follow the same one-cycle shape
 * (fastai's fit_one_cycle with a slice). For the `base` sweep this is groupRates itself.
 */
export function finalGroupRates(spec: LayerGroupsConfig | undefined, lrMax: number): (x: number, groups: readonly ResolvedLayerGroup[]) => number[] {
  return (x, groups) => groupRates(spec, groups, lrMax).map((r) => (r * x) / lrMax);
}
