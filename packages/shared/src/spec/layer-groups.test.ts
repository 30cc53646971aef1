import { describe, expect, it } from 'vitest';
import type { SpecError } from '../errors.js';
import { parseSpec } from './load.js';
import { specFromProto, specToProto } from './proto.js';
import {
  builtinWeightedLayerNames,
  checkLayerGroups,
  finalGroupRates,
  groupMultipliers,
  groupRates,
  LayerGroupError,
  resolveLayerGroups,
  type LayerGroupsConfig,
} from './layer-groups.js';

const CNN_LAYERS = ['conv1', 'conv2', 'dense1', 'logits'];

describe('resolveLayerGroups', () => {
  it('puts the whole model in one group without a layerGroups section, and one group per layer with an empty one', () => {
    expect(resolveLayerGroups(undefined, CNN_LAYERS)).toEqual([{ name: 'all', layers: [0, 1, 2, 3], frozen: false }]);
    expect(resolveLayerGroups({ sweep: 'base' }, CNN_LAYERS).map((g) => [g.name, g.layers])).toEqual([['conv1', [0]], ['conv2', [1]], ['dense1', [2]], ['logits', [3]]]);
  });

  it('assigns layers by glob pattern and by inclusive index range, negative from the end', () => {
    const groups = resolveLayerGroups(
      { groups: [{ name: 'body', layers: ['conv?'], frozen: true }, { name: 'mid', indices: [2, -2], frozen: false }, { name: 'head', indices: [-1, -1], frozen: false }], sweep: 'base' },
      CNN_LAYERS,
    );
    expect(groups).toEqual([
      { name: 'body', layers: [0, 1], frozen: true },
      { name: 'mid', layers: [2], frozen: false },
      { name: 'head', layers: [3], frozen: false },
    ]);
  });

  it.each([
    [{ groups: [{ name: 'a', layers: ['nothing*'], frozen: false }] }, 'layerGroups.groups.0.layers.0', /matches no layer/],
    [{ groups: [{ name: 'a', layers: ['conv*'], frozen: false }, { name: 'b', layers: ['*'], frozen: false }] }, 'layerGroups.groups.1', /'conv1' is in groups 'a' and 'b'/],
    [{ groups: [{ name: 'a', layers: ['conv*'], frozen: false }] }, 'layerGroups.groups', /'dense1', 'logits' are in no group/],
    [{ groups: [{ name: 'a', indices: [0, 9] as [number, number], frozen: false }] }, 'layerGroups.groups.0.indices', /outside the model's 4 layers/],
    [{ groups: [{ name: 'a', indices: [3, 1] as [number, number], frozen: false }] }, 'layerGroups.groups.0.indices', /wrong order/],
    [{ groups: [{ name: 'a', layers: ['*'], frozen: true }] }, 'layerGroups.groups', /every group is frozen/],
  ])('refuses %j at %s', (partial, field, message) => {
    const call = () => resolveLayerGroups({ sweep: 'base', ...partial }, CNN_LAYERS);
    expect(call).toThrow(LayerGroupError);
    expect(call).toThrow(message);
    try {
      call();
    } catch (error) {
      expect((error as LayerGroupError).field).toBe(field);
    }
  });
});

describe('group rates', () => {
  const four = resolveLayerGroups({ sweep: 'base' }, CNN_LAYERS);

  it('spreads geometrically from base/spread to base, as fastai even_mults(lo, hi, n)', () => {
    const m = groupMultipliers({ spread: 1000, sweep: 'base' }, 4);
    [1e-3, 1e-2, 1e-1, 1].forEach((expected, i) => expect(m[i]).toBeCloseTo(expected, 12));
    expect(groupMultipliers({ sweep: 'base' }, 3)).toEqual([1, 1, 1]);
    expect(groupMultipliers({ spread: 50, sweep: 'base' }, 1)).toEqual([1]);
    expect(groupMultipliers({ multipliers: [0.1, 0.2, 0.5, 1], sweep: 'base' }, 4)).toEqual([0.1, 0.2, 0.5, 1]);
  });

  it('base sweep: x is the last group\'s rate and the rest scale with it', () => {
    const rates = groupRates({ spread: 100, sweep: 'base' }, four, 0.5);
    expect(rates[3]).toBe(0.5);
    expect(rates[0]).toBeCloseTo(0.005, 12);
    expect(groupRates(undefined, resolveLayerGroups(undefined, CNN_LAYERS), 0.3)).toEqual([0.3]);
  });

  it('spread sweep: x is the first group\'s rate, base the last, geometric in between', () => {
    const rates = groupRates({ sweep: 'spread', base: 0.1 }, four, 0.0001);
    expect(rates[0]).toBeCloseTo(0.0001, 15);
    expect(rates[1]).toBeCloseTo(0.001, 15);
    expect(rates[2]).toBeCloseTo(0.01, 15);
    expect(rates[3]).toBeCloseTo(0.1, 15);
    // Higher x, higher rates everywhere but the fixed head: the ordered-grid rule stays valid.
    const higher = groupRates({ sweep: 'spread', base: 0.1 }, four, 0.001);
    higher.slice(0, 3).forEach((r, i) => expect(r).toBeGreaterThan(rates[i]!));
  });

  it('group sweep: x is that group\'s rate, the others stay at base times their multiplier; frozen groups get 0', () => {
    const groups = resolveLayerGroups({ groups: [{ name: 'body', layers: ['conv*'], frozen: true }, { name: 'mid', layers: ['dense1'], frozen: false }, { name: 'head', layers: ['logits'], frozen: false }], sweep: 'base' }, CNN_LAYERS);
    const spec: LayerGroupsConfig = { sweep: { group: 'mid' }, base: 0.2, multipliers: [1, 1, 0.5] };
    expect(groupRates(spec, groups, 0.03)).toEqual([0, 0.03, 0.1]);
  });

  it('final training scales every group\'s rate at lrMax by the schedule\'s shape', () => {
    const spec: LayerGroupsConfig = { sweep: 'spread', base: 0.1 };
    const rates = finalGroupRates(spec, 0.001);
    const peak = groupRates(spec, four, 0.001);
    expect(rates(0.001, four)).toEqual(peak);
    rates(0.0005, four).forEach((r, i) => expect(r).toBeCloseTo(peak[i]! / 2, 15));
    // For the base sweep it is groupRates itself.
    const base: LayerGroupsConfig = { spread: 10, sweep: 'base' };
    finalGroupRates(base, 0.5)(0.2, four).forEach((r, i) => expect(r).toBeCloseTo(groupRates(base, four, 0.2)[i]!, 15));
  });
});

describe('checkLayerGroups and the spec', () => {
  const spec = (layerGroups: unknown, extra: Record<string, unknown> = {}) => ({
    name: 'lg',
    model: { builtin: 'cnn', filters: [8, 16], dense: [32] },
    dataset: { builtin: 'mnist' },
    grid: { min: 1e-4, max: 0.1, points: 8 },
    layerGroups,
    ...extra,
  });
  const issuesOf = (input: unknown) => {
    try {
      parseSpec(input);
    } catch (error) {
      return (error as SpecError).issues.map((i) => `${i.path}: ${i.message}`);
    }
    return [];
  };

  it('names the built-in models\' layers as the worker builds them', () => {
    expect(builtinWeightedLayerNames({ builtin: 'mlp', hidden: [128, 64] })).toEqual(['hidden1', 'hidden2', 'logits']);
    expect(builtinWeightedLayerNames({ builtin: 'cnn', filters: [8, 16], dense: [32] })).toEqual(CNN_LAYERS);
  });

  it('accepts the forms of the docs', () => {
    expect(issuesOf(spec({ spread: 100 }))).toEqual([]);
    expect(issuesOf(spec({ groups: [{ name: 'body', layers: ['conv*'] }, { name: 'head', layers: ['dense*', 'logits'] }], multipliers: [0.1, 1] }))).toEqual([]);
    expect(issuesOf(spec({ sweep: 'spread', base: 0.1 }))).toEqual([]);
    expect(issuesOf(spec({ groups: [{ name: 'body', indices: [0, 1], frozen: true }, { name: 'head', indices: [2, -1] }], sweep: { group: 'head' }, base: 0.1 }))).toEqual([]);
    expect(parseSpec(spec({ spread: 10 })).layerGroups).toEqual({ spread: 10, sweep: 'base' });
  });

  it.each([
    [{ spread: 10, multipliers: [1, 1, 1, 1] }, /layerGroups.multipliers: give either spread or multipliers/],
    [{ multipliers: [1, 2] }, /layerGroups.multipliers: has 2 entries for 4 groups/],
    [{ sweep: 'spread' }, /layerGroups.base: is required when sweep is 'spread'/],
    [{ sweep: 'spread', base: 0.01 }, /grid.max: sweep 'spread' searches the first group's rate below base/],
    [{ sweep: { group: 'nope' }, base: 0.1 }, /layerGroups.sweep.group: names no group; the groups are conv1, conv2, dense1, logits/],
    [{ groups: [{ name: 'a', layers: ['conv*'] }] }, /layerGroups.groups: layers 'dense1', 'logits' are in no group/],
    [{ groups: [{ name: 'a', layers: ['*'], indices: [0, 1] }] }, /layerGroups.groups\[0\]: give either layers .* or indices/],
    [{ groups: [{ name: 'a', layers: ['*'] }, { name: 'a', layers: ['x'] }] }, /layerGroups.groups\[1\].name: 'a' names two groups/],
    [{ sweep: 'sideways' }, /layerGroups.sweep: must be 'base', 'spread' or \{ group: <name> \}/],
    [{ spred: 10 }, /spred/],
  ])('refuses %j with the field and a fix', (layerGroups, message) => {
    const issues = issuesOf(spec(layerGroups));
    expect(issues.join('\n')).toMatch(message);
  });

  it('reports problems found without the model too (a topology model is checked on the worker)', () => {
    expect(checkLayerGroups({ sweep: 'spread' }, undefined, 1)).toEqual([['layerGroups.base', expect.stringMatching(/is required/)]]);
    expect(checkLayerGroups({ sweep: 'base', spread: 5 }, undefined, 1)).toEqual([]);
  });

  it('round-trips through the proto message, and names proto fields in errors', () => {
    const parsed = parseSpec(
      spec(
        { groups: [{ name: 'body', layers: ['conv*'], frozen: true }, { name: 'head', indices: [2, -1] }], sweep: { group: 'head' }, base: 0.1, multipliers: [1, 0.5] },
        { dataset: { builtin: 'mnist', digits: [5, 6, 7, 8, 9], trainLimit: 300 }, model: { builtin: 'cnn', filters: [8, 16], dense: [32], pretrained: { path: '/models/m.json', reinitialize: ['logits'] } } },
      ),
    );
    expect(specFromProto(specToProto(parsed) as never)).toEqual(parsed);
    const spread = parseSpec(spec({ sweep: 'spread', base: 0.1 }));
    expect(specFromProto(specToProto(spread) as never)).toEqual(spread);
    const message = specToProto(spread);
    try {
      specFromProto({ ...message, layerGroups: { ...message.layerGroups, base: 0.01 } } as never);
      throw new Error('expected a violation');
    } catch (error) {
      expect(String((error as Error).message) + JSON.stringify((error as { violations?: unknown }).violations)).toMatch(/spec.grid.max/);
    }
  });
});
