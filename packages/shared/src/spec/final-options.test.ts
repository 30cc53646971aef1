import { describe, expect, it } from 'vitest';
import { ProtoSpecError, SpecError, type SpecIssue } from '../errors.js';
import { loadLrsweepPackage } from '../grpc/loader.js';
import { parseSpec } from './load.js';
import { specFromProto, specToProto, type SweepSpecMessage, type SweepSpecMessageOutput } from './proto.js';

/** final.divergenceGuard, final.reduceOnPlateau, final.warmRestarts with schedule cosine-restarts. */

const minimal = { name: 'final-options', model: { builtin: 'mlp', hidden: [8] }, dataset: { builtin: 'spirals' } };

function issuesOf(input: unknown): SpecIssue[] {
  try {
    parseSpec(input);
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
    return [...(error as SpecError).issues];
  }
  throw new Error('expected a SpecError');
}

const { proto } = loadLrsweepPackage();
const submitSweep = proto.lrsweep.v1.SweepService.service.SubmitSweep;
const overTheWire = (spec: SweepSpecMessage): SweepSpecMessageOutput => submitSweep.requestDeserialize(submitSweep.requestSerialize({ spec })).spec!;

describe('final: adaptive options, defaults', () => {
  it('the guard is on by default; plateau and warm restarts are off', () => {
    const spec = parseSpec(minimal);
    expect(spec.final).toEqual({ epochs: 3, schedule: 'one-cycle', divergenceGuard: { enabled: true, factor: 0.5, maxRetries: 4, checkpointEvery: 50 }, candidates: 'auto', startEarly: true });
    expect(spec.final.divergenceGuard.divergenceFactor).toBeUndefined(); // pruning.divergenceFactor applies
  });

  it('fills the defaults of a partly given guard and of an empty reduceOnPlateau', () => {
    const spec = parseSpec({ ...minimal, final: { divergenceGuard: { maxRetries: 2 }, reduceOnPlateau: {} } });
    expect(spec.final.divergenceGuard).toEqual({ enabled: true, factor: 0.5, maxRetries: 2, checkpointEvery: 50 });
    expect(spec.final.reduceOnPlateau).toEqual({ monitor: 'val_loss', patience: 2, factor: 0.2, minDelta: 1e-4, cooldown: 0 });
  });

  it('cosine-restarts with and without warmRestarts', () => {
    expect(parseSpec({ ...minimal, final: { schedule: 'cosine-restarts' } }).final.warmRestarts).toBeUndefined();
    expect(parseSpec({ ...minimal, final: { schedule: 'cosine-restarts', warmRestarts: {} } }).final.warmRestarts).toEqual({ cycleMult: 2 });
    expect(parseSpec({ ...minimal, final: { schedule: 'cosine-restarts', warmRestarts: { cycleEpochs: 0.5, cycleMult: 1 } } }).final.warmRestarts).toEqual({ cycleEpochs: 0.5, cycleMult: 1 });
    expect(parseSpec({ ...minimal, final: { schedule: 'cosine-restarts', warmRestarts: { cycleSteps: 40 } } }).final.warmRestarts).toEqual({ cycleSteps: 40, cycleMult: 2 });
  });
});

describe('final: adaptive options, errors', () => {
  it.each([
    [{ divergenceGuard: { factor: 1 } }, 'final.divergenceGuard.factor', /less than 1/],
    [{ divergenceGuard: { factor: 0 } }, 'final.divergenceGuard.factor', /greater than 0/],
    [{ divergenceGuard: { divergenceFactor: 1 } }, 'final.divergenceGuard.divergenceFactor', /greater than 1/],
    [{ divergenceGuard: { maxRetries: 21 } }, 'final.divergenceGuard.maxRetries', /at most 20/],
    [{ divergenceGuard: { checkpointEvery: 0 } }, 'final.divergenceGuard.checkpointEvery', /at least 1/],
    [{ divergenceGuard: { enabled: 'yes' } }, 'final.divergenceGuard.enabled', /true or false/],
    [{ reduceOnPlateau: { monitor: 'val_accuracy' } }, 'final.reduceOnPlateau.monitor', /val_loss/],
    [{ reduceOnPlateau: { patience: -1 } }, 'final.reduceOnPlateau.patience', /at least 0/],
    [{ reduceOnPlateau: { factor: 2 } }, 'final.reduceOnPlateau.factor', /less than 1/],
    [{ reduceOnPlateau: { minRate: 0 } }, 'final.reduceOnPlateau.minRate', /greater than 0/],
    [{ schedule: 'cosine-restarts', warmRestarts: { cycleEpochs: 1, cycleSteps: 10 } }, 'final.warmRestarts.cycleSteps', /not both/],
    [{ schedule: 'cosine-restarts', warmRestarts: { cycleMult: 1.5 } }, 'final.warmRestarts.cycleMult', /whole number/],
    [{ schedule: 'cosine-restarts', warmRestarts: { cycleEpochs: 0 } }, 'final.warmRestarts.cycleEpochs', /greater than 0/],
    [{ warmRestarts: { cycleEpochs: 1 } }, 'final.warmRestarts', /applies only to schedule: cosine-restarts/],
  ])('%j → %s', (final, path, message) => {
    const issues = issuesOf({ ...minimal, final });
    const issue = issues.find((i) => i.path === path);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue!.message).toMatch(message);
    expect(issue!.fix.length).toBeGreaterThan(0);
  });

  it('a misspelt key gets a did-you-mean', () => {
    const issue = issuesOf({ ...minimal, final: { divergenceGuard: { checkpointEvry: 2 } } }).find((i) => i.path === 'final.divergenceGuard');
    expect(issue?.fix).toBe("rename 'checkpointEvry' to 'checkpointEvery'");
    const top = issuesOf({ ...minimal, final: { reduceOnPlateu: {} } }).find((i) => i.path === 'final');
    expect(top?.fix).toBe("rename 'reduceOnPlateu' to 'reduceOnPlateau'");
  });
});

describe('final: adaptive options over the wire (proto)', () => {
  it.each([
    { schedule: 'cosine-restarts', warmRestarts: { cycleEpochs: 0.5, cycleMult: 3 }, reduceOnPlateau: { patience: 1, minRate: 1e-4, everySteps: 20, cooldown: 2, minDelta: 0.01, factor: 0.1 } },
    { schedule: 'cosine-restarts', warmRestarts: { cycleSteps: 30 } },
    { schedule: 'cosine-restarts' },
    { divergenceGuard: { enabled: false } },
    { divergenceGuard: { divergenceFactor: 6, factor: 0.1, maxRetries: 0, checkpointEvery: 5 } },
    { reduceOnPlateau: {} },
  ])('round-trips %j', (final) => {
    const spec = parseSpec({ ...minimal, final });
    expect(specFromProto(overTheWire(specToProto(spec)))).toStrictEqual(spec);
  });

  it('maps the new enum values', () => {
    const message = specToProto(parseSpec({ ...minimal, final: { schedule: 'cosine-restarts', reduceOnPlateau: {} } }));
    expect(message.final?.schedule).toBe('SCHEDULE_KIND_COSINE_RESTARTS');
    expect(message.final?.reduceOnPlateau?.monitor).toBe('PLATEAU_MONITOR_VAL_LOSS');
    const byNumber = specFromProto(overTheWire({ ...message, final: { schedule: 5 as never, reduceOnPlateau: { monitor: 1 as never } } }));
    expect(byNumber.final.schedule).toBe('cosine-restarts');
    expect(byNumber.final.reduceOnPlateau?.monitor).toBe('val_loss');
  });

  it('unset messages take the defaults: no final.divergence_guard means the guard is on', () => {
    const back = specFromProto(overTheWire({ name: 'x', model: { mlp: { hidden: [4] } }, dataset: { spirals: {} }, final: { epochs: 2 } }));
    expect(back.final).toEqual({ epochs: 2, schedule: 'one-cycle', divergenceGuard: { enabled: true, factor: 0.5, maxRetries: 4, checkpointEvery: 50 }, candidates: 'auto', startEarly: true });
    expect(back.final.reduceOnPlateau).toBeUndefined();
  });

  it('final.candidates: auto when unset or 0, a number as given, out of range named by its field', () => {
    for (const candidates of [1, 3, 8] as const) {
      const spec = parseSpec({ ...minimal, final: { candidates } });
      expect(spec.final.candidates).toBe(candidates);
      expect(specFromProto(overTheWire(specToProto(spec))).final.candidates).toBe(candidates);
    }
    const auto = parseSpec(minimal);
    expect(specToProto(auto).final?.candidates).toBeUndefined();
    expect(specFromProto(overTheWire(specToProto(auto))).final.candidates).toBe('auto');
    expect(specFromProto(overTheWire({ ...specToProto(auto), final: { candidates: 0 } })).final.candidates).toBe('auto');
    for (const candidates of [0, 9, 1.5, 'many']) {
      expect(() => parseSpec({ ...minimal, final: { candidates } })).toThrow(/final\.candidates/);
    }
    let violations: string[] = [];
    try {
      specFromProto(overTheWire({ ...specToProto(auto), final: { candidates: -2 } }));
    } catch (error) {
      violations = (error as ProtoSpecError).violations.map((v) => v.field);
    }
    expect(violations).toContain('spec.final.candidates');
  });

  it('names proto fields in violations', () => {
    const bad = specToProto(parseSpec(minimal));
    bad.final = { divergenceGuard: { factor: 2 }, reduceOnPlateau: { patience: -3, monitor: 9 as never }, warmRestarts: { cycleSteps: 3 } };
    let violations: string[] = [];
    try {
      specFromProto(overTheWire(bad));
    } catch (error) {
      expect(error).toBeInstanceOf(ProtoSpecError);
      violations = (error as ProtoSpecError).violations.map((v) => v.field);
    }
    expect(violations).toEqual(expect.arrayContaining(['spec.final.divergence_guard.factor', 'spec.final.reduce_on_plateau.patience', 'spec.final.reduce_on_plateau.monitor', 'spec.final.warm_restarts']));
  });
});
