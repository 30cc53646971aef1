import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { findTorchPython } from './throughput.js';
import { appendResult, machine } from './record.js';
import { SEARCH_SPECS } from './search.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

interface Step {
  /** The subcommand, as `--only` names it. */
  name: string;
  args: string[];
}

/** Runs `node bench/dist/main.js <args>` with inherited output; resolves with its exit status. Past the timeout: SIGTERM, then SIGKILL. */
function runChild(args: string[], timeoutSeconds: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }> {
  return new Promise((resolve) => {
    // A process group of its own, so a timeout stops the worker processes it started too.
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: 'inherit', detached: true });
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    let timedOut = false;
    let kill: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup('SIGTERM');
      kill = setTimeout(() => signalGroup('SIGKILL'), 10_000);
    }, timeoutSeconds * 1000);
    // Ctrl-C reaches only the suite (the child has its own group): pass it on, then stop.
    const onInterrupt = () => {
      signalGroup('SIGINT');
      process.exitCode = 130;
    };
    process.once('SIGINT', onInterrupt);
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      clearTimeout(kill);
      process.off('SIGINT', onInterrupt);
      if (process.exitCode === 130) process.exit(130);
      resolve({ code, signal, timedOut });
    };
    child.on('error', () => done(1, null));
    child.on('exit', done);
  });
}

/**
 * The whole benchmark suite, each benchmark a child process so that one that fails (or crashes)
 * is reported and the rest still run. Full: every result appended to bench/RESULTS.md (--record).
 * Quick: short measurements and cut-down specs, nothing recorded. Returns how many failed.
 */
export async function runSuite(program: Command, options: { quick: boolean; timeoutSeconds: number; backend?: string; only?: string[] }): Promise<number> {
  const { quick } = options;
  const has = (name: string) => program.commands.find((c) => c.name() === name);
  const takes = (name: string, flag: string) => has(name)?.options.some((o) => o.long === flag) ?? false;
  const common = (name: string) => [...(quick ? (takes(name, '--quick') ? ['--quick'] : []) : ['--record']), ...(options.backend && takes(name, '--backend') ? ['--backend', options.backend] : [])];
  const steps: Step[] = [
    // Quick: only the backend a worker would pick (the cpu backend's CNN alone takes minutes).
    { name: 'throughput', args: ['throughput', '--seconds', quick ? '1' : '5', '--rounds', quick ? '1' : '3', ...common('throughput'), ...(quick && !options.backend ? ['--backend', 'auto'] : [])] },
    { name: 'range-check', args: ['range-check', ...common('range-check')] },
    ...SEARCH_SPECS.map((spec) => ({ name: 'search', args: ['search', spec, ...common('search')] })),
    { name: 'parallel', args: ['parallel', ...common('parallel')] },
  ];
  const skipped: string[] = [];
  if (!has('coordinator-scale')) skipped.push('coordinator-scale (not registered)');
  // coordinator-scale, then any other benchmark registered in main.ts, with its defaults.
  const known = new Set(['all', ...steps.map((s) => s.name)]);
  for (const name of ['coordinator-scale', ...program.commands.map((c) => c.name()).filter((n) => n !== 'coordinator-scale')]) {
    if (known.has(name) || !has(name)) continue;
    known.add(name);
    if (quick && !takes(name, '--quick')) skipped.push(`${name} (no --quick flag: not run in a smoke run)`);
    else steps.push({ name, args: [name, ...common(name)] });
  }
  const chosen = options.only ? steps.filter((s) => options.only!.includes(s.name)) : steps;

  const torch = findTorchPython();
  process.stderr.write(
    `bench suite (${quick ? 'quick, nothing recorded' : 'full, recording to bench/RESULTS.md'}) on ${machine()}\n` +
      `PyTorch baseline: ${'python' in torch ? torch.python : `skipped: ${torch.reason}`}\n`,
  );
  const outcomes: { step: Step; ok: boolean; seconds: number; status: string }[] = [];
  for (const step of chosen) {
    process.stderr.write(`\n── bench ${step.args.join(' ')}\n`);
    const started = performance.now();
    const { code, signal, timedOut } = await runChild(step.args, options.timeoutSeconds);
    const ok = code === 0 && !timedOut;
    const status = ok ? 'ok' : timedOut ? `stopped after the ${options.timeoutSeconds} s timeout` : signal ? `killed by ${signal}` : `exit ${code}`;
    outcomes.push({ step, ok, seconds: (performance.now() - started) / 1000, status });
  }
  const lines = outcomes.map((o) => `| \`bench ${o.step.args.join(' ')}\` | ${o.status} | ${o.seconds.toFixed(0)} s |`);
  const summary =
    `| benchmark | result | time |\n|---|---|---|\n${lines.join('\n')}\n` + (skipped.length > 0 ? `\nskipped: ${skipped.join('; ')}\n` : '');
  process.stdout.write(`\nsuite summary:\n\n${summary}`);
  if (!quick && !options.only) appendResult('suite (`pnpm bench`)', summary, options.backend ?? 'auto');
  return outcomes.filter((o) => !o.ok).length;
}
