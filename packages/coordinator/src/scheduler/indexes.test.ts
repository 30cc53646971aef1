import { describe, expect, it } from 'vitest';
import { Curve, ReportWindow } from './curve.js';
import { NaiveSweepScheduler } from './naive-scheduler.js';
import { RankedSet } from './ranked-set.js';
import { SweepScheduler, type Command, type SchedulerConfig } from './scheduler.js';
import { sgdLikeCurve, simulate } from './simulate.js';

/** mulberry32: a seeded generator, so every run of these tests draws the same inputs. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(r: () => number, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;

describe('RankedSet (order statistics by value, then index)', () => {
  it('agrees with a sorted array on random inserts, deletes and queries', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const r = random(seed);
      const set = new RankedSet();
      let naive: { value: number; index: number }[] = [];
      const sort = () => naive.sort((a, b) => (a.value !== b.value ? (a.value < b.value ? -1 : 1) : a.index - b.index));
      // Few distinct values (ties by index), and Infinity (diverged trials rank last).
      const values = [0.1, 0.5, 0.5, 1, 2, Infinity];
      for (let op = 0; op < 400; op++) {
        const value = pick(r, values);
        const index = Math.floor(r() * 40);
        const present = naive.some((e) => e.value === value && e.index === index);
        if (r() < 0.6) {
          set.insert(value, index);
          if (!present) naive.push({ value, index });
        } else {
          expect(set.delete(value, index)).toBe(present);
          naive = naive.filter((e) => !(e.value === value && e.index === index));
        }
        sort();
        expect(set.size).toBe(naive.length);
        expect(set.toArray()).toEqual(naive);
        expect(set.min()).toEqual(naive[0]);
        expect(set.max()).toEqual(naive.at(-1));
        const k = Math.floor(r() * (naive.length + 2)) - 1;
        expect(set.at(k)).toEqual(naive[k]);
        const probe = { value: pick(r, values), index: Math.floor(r() * 40) };
        expect(set.rank(probe.value, probe.index)).toBe(naive.filter((e) => e.value < probe.value || (e.value === probe.value && e.index < probe.index)).length);
        expect(set.has(probe.value, probe.index)).toBe(naive.some((e) => e.value === probe.value && e.index === probe.index));
      }
    }
  });
});

describe('bounded curves', () => {
  it('Curve answers "the value at the last point at or before s" like the full list while under capacity, and stays bounded beyond', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = random(seed);
      const capacity = 4 + Math.floor(r() * 30);
      const curve = new Curve(capacity);
      const full: { step: number; value: number }[] = [];
      let step = 0;
      let pushedSinceTruncate = 0;
      for (let i = 0; i < 300; i++) {
        if (r() < 0.05 && full.length > 0) {
          // A resume goes back to an earlier step.
          const to = full[Math.floor(r() * full.length)]!.step;
          curve.truncate(to);
          while (full.length > 0 && full.at(-1)!.step > to) full.pop();
          step = to;
          pushedSinceTruncate = 0;
          continue;
        }
        step += 1 + Math.floor(r() * 5);
        const value = r();
        curve.push(step, value);
        full.push({ step, value });
        pushedSinceTruncate += 1;
        expect(curve.length).toBeLessThanOrEqual(capacity);
        expect(curve.first).toBe(full[0]?.value);
        for (let probe = 0; probe < 5; probe++) {
          const s = Math.floor(r() * (step + 5)) - 2;
          const exact = [...full].reverse().find((p) => p.step <= s)?.value;
          const got = curve.at(s);
          // Nothing thinned out yet: exact.
          if (curve.length === full.length) expect(got).toBe(exact);
          // Always exact from the previous report on (the ordered grid reads it there).
          if (pushedSinceTruncate >= 2 && s >= full.at(-2)!.step) expect(got).toBe(exact);
          // Else a value the trial really had, at or before s.
          if (got !== undefined) expect(full.some((p) => p.value === got && p.step <= s)).toBe(true);
        }
      }
    }
  });

  it('ReportWindow keeps the reports after the step it is told to forget up to, at most capacity', () => {
    const r = random(7);
    const window = new ReportWindow(8);
    const all: { step: number; loss: number }[] = [];
    for (let step = 1; step <= 200; step++) {
      const loss = r();
      window.push(step, loss, step - 5);
      all.push({ step, loss });
      if (step === 100) window.mark(100, 5);
      expect(window.length).toBeLessThanOrEqual(8);
      expect(window.since(step - 5)).toEqual(all.filter((x) => x.step > step - 5));
      expect(window.firstStep).toBe(1);
    }
    // A resume from the checkpoint at step 100 gets that step's window back.
    window.truncate(100);
    expect(window.since(0)).toEqual(all.filter((x) => x.step > 95 && x.step <= 100));
    window.truncate(98);
    expect(window.since(0)).toEqual(all.filter((x) => x.step > 95 && x.step <= 98));
    window.truncate(50);
    expect(window.since(0)).toEqual([]);
    expect(window.firstStep).toBe(1);
    window.truncate(0);
    expect(window.firstStep).toBeUndefined();
  });
});

/**
 * Drives both schedulers with the same random events (starts, reports with curves that decay,
 * stagnate, spike, blow up or turn NaN, budgets, checkpoints, failures, lost workers and trials,
 * stale reports, cancellation) and holds the indexed one to the naive one after every event:
 * the same commands, the same decisions (summaries and evidence included), the same views and
 * the same work offered to each worker. (The outcome, a function of the views read once a search
 * ends, is not what the indexes changed: it is left out, free to evolve on its own.)
 */
function compareOnRandomEvents(seed: number): { events: number; decisions: number; rules: Set<string> } {
  const r = random(seed);
  const n = 2 + Math.floor(r() * (r() < 0.2 ? 60 : 20));
  const rates: number[] = [];
  let lr = 1e-4 * (1 + r());
  for (let i = 0; i < n; i++) {
    rates.push(lr);
    lr *= 1.2 + r() * 2;
  }
  const eta = pick(r, [2, 3, 4]);
  const minSteps = pick(r, [5, 10, 20]);
  const config: SchedulerConfig = {
    strategy: pick(r, ['asha', 'asha', 'sh', 'grid'] as const),
    learningRates: rates,
    minSteps,
    maxSteps: minSteps * eta ** Math.floor(r() * 4) + (r() < 0.3 ? Math.floor(r() * minSteps) : 0),
    reductionFactor: eta,
    divergenceFactor: pick(r, [1.5, 4, 10]),
    stagnation: { windowSteps: pick(r, [5, 10, 25]), minRelImprovement: pick(r, [0.001, 0.01, 0.1]) },
    ...(r() < 0.7 ? { smoothing: pick(r, [0, 0.3, 0.5, 0.9]) } : {}),
    portable: r() < 0.5,
    maxRetries: pick(r, [1, 2, 3]),
  };
  // Half the runs with unbounded memory, half with the default bounds (these runs stay within them).
  const fast = new SweepScheduler(seed % 2 === 0 ? { ...config, curvePoints: 1e9, windowReports: 1e9 } : config);
  const naive = new NaiveSweepScheduler(config);
  const workers = Array.from({ length: 1 + Math.floor(r() * 4) }, (_, i) => ({ id: `w${i}`, slots: 1 + Math.floor(r() * 3) }));
  const jobs = new Map<string, { workerId: string; until: number; attempt: number }>();
  const shape = rates.map(() => pick(r, ['decay', 'decay', 'flat', 'blowup', 'nan', 'noisy'] as const));
  const lossOf = (index: number, step: number) => {
    const u = index / n;
    switch (shape[index]!) {
      case 'decay':
        return 0.1 + 2 * Math.exp((-step / 30) * (0.2 + u));
      case 'flat':
        return 2 - step * 0.00001;
      case 'blowup':
        return 2 * Math.exp(step / 15);
      case 'nan':
        return step > 15 && r() < 0.3 ? NaN : 2 + r();
      case 'noisy':
        return 1 + r();
    }
  };
  const same = <T>(a: T, b: T) => expect(a).toEqual(b);
  const apply = (commands: Command[]) => {
    for (const c of commands) {
      if (c.type === 'start' || c.type === 'resume') jobs.set(c.trialId, { workerId: c.workerId, until: c.untilStep, attempt: c.attempt });
      else if (c.type === 'stop') jobs.delete(c.trialId);
    }
  };
  const check = () => {
    same(fast.decisions, naive.decisions);
    same(fast.allTrials(), naive.allTrials());
    same(fast.isDone(), naive.isDone());
    same(fast.stepsSpent(), naive.stepsSpent());
    for (const w of workers) same(fast.hasWork(w.id), naive.hasWork(w.id));
  };
  const both = (f: (s: SweepScheduler | NaiveSweepScheduler) => Command[] | Command | undefined | void) => {
    const a = f(fast);
    const b = f(naive);
    same(a, b);
    if (Array.isArray(a)) apply(a);
    else if (a) apply([a]);
    check();
  };
  let events = 0;
  for (; events < 1500 && !fast.isDone(); events++) {
    const x = r();
    const views = fast.allTrials();
    const running = views.filter((t) => t.state === 'RUNNING');
    if (x < 0.25 || running.length === 0) {
      const w = pick(r, workers);
      const busy = views.filter((t) => t.state === 'RUNNING' && t.workerId === w.id).length;
      if (busy < w.slots || r() < 0.05) both((s) => s.nextJob(w.id));
      else if (running.length === 0) both((s) => s.onWorkerLost(w.id));
    } else if (x < 0.85) {
      const t = pick(r, running);
      const job = jobs.get(t.trialId);
      if (!job) continue;
      const step = Math.min(t.steps + 1 + Math.floor(r() * 4), job.until);
      const loss = lossOf(t.index, step);
      both((s) => s.onLoss(t.trialId, step, loss, job.attempt));
      if (step >= job.until && fast.trial(t.trialId)?.state === 'RUNNING') {
        const val = r() < 0.05 ? NaN : lossOf(t.index, step) * (1 + 0.1 * r());
        const checkpointed = config.portable === true && r() < 0.7;
        both((s) => s.onBudgetReached(t.trialId, step, val, 1 / (1 + val), { attempt: job.attempt, checkpointed }));
      }
    } else if (x < 0.9) {
      const t = pick(r, running);
      const job = jobs.get(t.trialId);
      if (job && r() < 0.5) both((s) => s.onCheckpointed(t.trialId, t.steps, job.attempt));
      else if (r() < 0.3) {
        // A paused trial's checkpoint, saved after its budget: of its attempt or the one before, at its step or not.
        const paused = views.filter((v) => v.state === 'PAUSED' || v.state === 'RUNNING');
        if (paused.length === 0) continue;
        const p = pick(r, paused);
        const attempt = fast.attemptOf(p.trialId) - (r() < 0.5 ? 1 : 0);
        const step = p.steps - (r() < 0.2 ? 1 : 0);
        both((s) => s.onCheckpointed(p.trialId, step, attempt));
      }
      else {
        // Stale: an old step, or an attempt given up on.
        const step = Math.max(1, t.steps - Math.floor(r() * 3));
        const loss = lossOf(t.index, t.steps);
        const attempt = (job?.attempt ?? 1) - (r() < 0.5 ? 1 : 0);
        both((s) => s.onLoss(t.trialId, step, loss, attempt));
      }
    } else if (x < 0.94) {
      const w = pick(r, workers).id;
      both((s) => s.onWorkerLost(w));
    } else if (x < 0.97) {
      const t = pick(r, views);
      const options = pick(r, [{}, { countsAsFailure: false }, { checkpointMissing: true, countsAsFailure: false }]);
      both((s) => s.onTrialLost(t.trialId, jobs.get(t.trialId)?.attempt ?? fast.attemptOf(t.trialId), 'lost in the test', options));
    } else if (x < 0.995) {
      const t = pick(r, views);
      const attempt = r() < 0.8 ? fast.attemptOf(t.trialId) : undefined;
      both((s) => s.onTrialFailed(t.trialId, 'boom', attempt));
    } else {
      both((s) => s.cancel());
    }
  }
  return { events, decisions: fast.decisions.length, rules: new Set(fast.decisions.map((d) => `${d.evidence.rule}${d.summary.includes('resumes from its checkpoint') ? ' (resume)' : ''}`)) };
}

describe('SweepScheduler against the naive scheduler (O(n) scans, kept as the oracle)', () => {
  it('makes the same decisions and commands on random event streams', () => {
    let decisions = 0;
    let events = 0;
    const rules = new Set<string>();
    for (let seed = 1; seed <= 100; seed++) {
      const run = compareOnRandomEvents(seed);
      decisions += run.decisions;
      events += run.events;
      for (const rule of run.rules) rules.add(rule);
    }
    // The streams are long and varied enough to exercise every rule.
    expect(events).toBeGreaterThan(10_000);
    expect(decisions).toBeGreaterThan(2_000);
    expect([...rules].sort()).toEqual(
      ['budget', 'cancel', 'divergence', 'error', 'non-finite', 'ordered-grid', 'promotion', 'rung', 'stagnation', 'start', 'worker-lost', 'worker-lost (resume)'].sort(),
    );
  });

  it('keeps memory per trial bounded on long runs, and decides deterministically with the bounds', () => {
    const config: SchedulerConfig = {
      strategy: 'asha',
      learningRates: [0.01, 0.02, 0.05, 0.1],
      minSteps: 20_000,
      maxSteps: 20_000,
      reductionFactor: 3,
      divergenceFactor: 4,
      stagnation: { windowSteps: 50, minRelImprovement: 0 },
      curvePoints: 64,
      windowReports: 32,
    };
    const run = () => {
      const s = new SweepScheduler(config);
      for (let i = 0; i < 4; i++) s.nextJob('w');
      for (let step = 1; step <= 5000; step++) for (let i = 0; i < 4; i++) s.onLoss(`t00${i}`, step, 1 + 1 / step + 0.01 * Math.sin(step * (i + 1)));
      return s;
    };
    const a = run();
    const internals = a as unknown as { trials: { history: Curve; reports: ReportWindow }[] };
    for (const t of internals.trials) {
      expect(t.history.length).toBeLessThanOrEqual(64);
      expect(t.reports.length).toBeLessThanOrEqual(32);
    }
    expect(run().decisions).toEqual(a.decisions);
    expect(run().allTrials()).toEqual(a.allTrials());
  });

  it('forgets the curves once the search is over, and only then; views and outcome stay', () => {
    const config: SchedulerConfig = { strategy: 'asha', learningRates: [1e-3, 1e-2, 0.1, 1, 10], minSteps: 25, maxSteps: 225, reductionFactor: 3, divergenceFactor: 4, stagnation: { windowSteps: 50, minRelImprovement: 0.01 } };
    const { scheduler } = simulate(config, sgdLikeCurve({ best: 0.1, divergeAbove: 2, nanAbove: 5 }), [{ id: 'w', slots: 2 }]);
    expect(scheduler.isDone()).toBe(true);
    const before = { trials: scheduler.allTrials(), outcome: scheduler.outcome(), decisions: [...scheduler.decisions] };
    scheduler.releaseCurves();
    const internals = scheduler as unknown as { trials: { history: Curve }[] };
    expect(internals.trials.every((t) => t.history.length === 0)).toBe(true);
    expect({ trials: scheduler.allTrials(), outcome: scheduler.outcome(), decisions: scheduler.decisions }).toEqual(before);
    const running = new SweepScheduler(config);
    running.nextJob('w');
    running.onLoss('t000', 5, 2);
    running.releaseCurves();
    expect((running as unknown as { trials: { history: Curve }[] }).trials[0]!.history.length).toBe(1);
  });
});
