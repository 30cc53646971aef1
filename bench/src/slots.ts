import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SlotsChildResult } from './slots-child.js';

const CHILD = fileURLToPath(new URL('./slots-child.js', import.meta.url));

/** How the slots of a machine are laid out: processes, each training this many trials at once. */
export interface SlotsLayout {
  processes: number;
  trialsPerProcess: number;
}

export interface SlotsRun extends SlotsLayout {
  model: 'mlp' | 'cnn';
  backend: string;
  slots: number;
  /** Steps of every trial together per second. */
  stepsPerSecond: number;
  /** The slowest and fastest trial's own steps per second: what one trial sees. */
  perTrialStepsPerSecond: { min: number; max: number };
  /** Resident memory at the end, per process and over all processes. */
  rssMbPerProcess: number;
  rssMbTotal: number;
}

/** 1 × 1 first: the baseline the others are read against, in the same run. */
export const DEFAULT_LAYOUTS: SlotsLayout[] = [
  { processes: 1, trialsPerProcess: 1 },
  { processes: 1, trialsPerProcess: 2 },
  { processes: 2, trialsPerProcess: 1 },
  { processes: 2, trialsPerProcess: 2 },
  { processes: 4, trialsPerProcess: 1 },
];

function startChild(model: string, backend: string, trials: number, seconds: number, warmupSeconds: number): { child: ChildProcess; ready: Promise<void>; result: Promise<SlotsChildResult> } {
  const child = fork(CHILD, [model, backend, String(trials), String(seconds), String(warmupSeconds)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let onReady: () => void = () => undefined;
  let onResult: (r: SlotsChildResult) => void = () => undefined;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`bench slots: a child exited with code ${code} before its result`))));
  const ready = Promise.race([new Promise<void>((r) => (onReady = r)), exited]);
  const result = Promise.race([new Promise<SlotsChildResult>((r) => (onResult = r)), exited]);
  // Settled either way; the caller awaits them.
  ready.catch(() => undefined);
  result.catch(() => undefined);
  child.on('message', (m: { type: 'ready' } | { type: 'result'; result: SlotsChildResult }) => {
    if (m.type === 'ready') onReady();
    else onResult(m.result);
  });
  return { child, ready, result };
}

/**
 * Trains the same model with the slots laid out each way: every process loads the data and warms
 * up first, then all start together (a barrier) and train for `seconds`. Measures whether several
 * trials per process beat a process per slot (the issue's "measure, then choose"). A fresh
 * process compiles for its first seconds (V8 on helper threads, which take another core when one is
 * idle): `warmupSeconds` of training before the clock starts measures the steady state.
 */
export async function runSlotsBench(options: { models: ('mlp' | 'cnn')[]; backend: string; seconds: number; warmupSeconds?: number; layouts?: SlotsLayout[] }): Promise<SlotsRun[]> {
  const runs: SlotsRun[] = [];
  for (const model of options.models) {
    for (const layout of options.layouts ?? DEFAULT_LAYOUTS) {
      const children = Array.from({ length: layout.processes }, () => startChild(model, options.backend, layout.trialsPerProcess, options.seconds, options.warmupSeconds ?? 0));
      try {
        await Promise.all(children.map((c) => c.ready));
        for (const c of children) c.child.send('go');
        const results = await Promise.all(children.map((c) => c.result));
        const perTrial = results.flatMap((r) => r.steps.map((s) => s / r.seconds));
        runs.push({
          model,
          ...layout,
          backend: results[0]!.backend,
          slots: layout.processes * layout.trialsPerProcess,
          stepsPerSecond: perTrial.reduce((a, b) => a + b, 0),
          perTrialStepsPerSecond: { min: Math.min(...perTrial), max: Math.max(...perTrial) },
          rssMbPerProcess: results.reduce((a, r) => a + r.rssMb, 0) / results.length,
          rssMbTotal: results.reduce((a, r) => a + r.rssMb, 0),
        });
        process.stderr.write(`  ${model} ${layout.processes} × ${layout.trialsPerProcess}: ${runs.at(-1)!.stepsPerSecond.toFixed(0)} steps/s\n`);
      } finally {
        for (const c of children) if (c.child.exitCode === null) c.child.kill();
      }
    }
  }
  return runs;
}

/** The table and the verdict: at the same slot count, several trials per process against a process per slot. */
export function formatSlots(runs: SlotsRun[], seconds: number, warmupSeconds = 0): string {
  const lines: string[] = [];
  for (const model of [...new Set(runs.map((r) => r.model))]) {
    const mine = runs.filter((r) => r.model === model);
    const base = mine.find((r) => r.processes === 1 && r.trialsPerProcess === 1);
    lines.push(
      `slots on ${model} (MNIST, batch 64, SGD, backend ${mine[0]?.backend}, ${seconds} s each, after a warm-up of 20 steps${warmupSeconds > 0 ? ` and ${warmupSeconds} s` : ''}): processes × trials per process; baseline: 1 × 1 in the same run`,
      '',
      '| processes × trials | slots | steps/s, all trials | against 1 × 1 | steps/s, one trial (min-max) | RSS per process | RSS per slot |',
      '|---|---|---|---|---|---|---|',
      ...mine.map(
        (r) =>
          `| ${r.processes} × ${r.trialsPerProcess} | ${r.slots} | ${r.stepsPerSecond.toFixed(0)} | ${base ? `${(r.stepsPerSecond / base.stepsPerSecond).toFixed(2)}x` : '—'} | ${r.perTrialStepsPerSecond.min.toFixed(0)}-${r.perTrialStepsPerSecond.max.toFixed(0)} | ${r.rssMbPerProcess.toFixed(0)} MB | ${(r.rssMbTotal / r.slots).toFixed(0)} MB |`,
      ),
      '',
    );
    for (const slots of [...new Set(mine.map((r) => r.slots))].filter((n) => n > 1)) {
      const perSlot = mine.find((r) => r.slots === slots && r.trialsPerProcess === 1);
      const shared = mine.filter((r) => r.slots === slots && r.trialsPerProcess > 1);
      for (const s of shared) {
        if (!perSlot) continue;
        const speed = s.stepsPerSecond / perSlot.stepsPerSecond;
        lines.push(
          `${model}, ${slots} slots: ${s.processes} × ${s.trialsPerProcess} trains at ${speed.toFixed(2)} times the speed of ${perSlot.processes} × 1 (a process per slot), with ${(s.rssMbTotal / s.slots).toFixed(0)} MB per slot against ${(perSlot.rssMbTotal / perSlot.slots).toFixed(0)}: ${speed >= 1 ? 'several trials per process win here' : 'a process per slot wins here'}`,
        );
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}
