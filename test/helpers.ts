import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeMessage, TrialEvent } from '@lrsweep/shared';
import type { Sweep__Output } from '@lrsweep/shared/gen/lrsweep/v1/Sweep';
import type { SweepServiceClient } from '@lrsweep/shared/gen/lrsweep/v1/SweepService';
import type { WatchSweepResponse__Output } from '@lrsweep/shared/gen/lrsweep/v1/WatchSweepResponse';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const CLI = fileURLToPath(new URL('../packages/cli/dist/main.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs the built `lrsweep` CLI as a separate process, as a user would. */
export function runCli(args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** Every WatchSweep event of a sweep until its end, and the finished sweep (the stream's `done`). */
export function watchSweepToEnd(client: SweepServiceClient, sweepId: string, timeoutMs = 170_000, request: { omitLosses?: boolean } = {}): Promise<{ events: WatchSweepResponse__Output[]; done: Sweep__Output }> {
  return new Promise((resolve, reject) => {
    const events: WatchSweepResponse__Output[] = [];
    const stream = client.watchSweep({ sweepId, ...request }, { deadline: Date.now() + timeoutMs });
    stream.on('data', (e: WatchSweepResponse__Output) => events.push(e));
    stream.on('error', reject);
    stream.on('end', () => {
      const done = events.find((e) => e.done)?.done;
      if (done) resolve({ events, done });
      else reject(new Error('stream ended without a done event'));
    });
  });
}

/** Polls `find` until it returns something; throws after `timeoutMs`. */
export async function until<T>(find: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A NATS message a test saw. */
export interface Seen {
  subject: string;
  data: Uint8Array;
}

/** The trial events of one trial among the messages a test saw, in order. */
export function trialEventsOf(seen: readonly Seen[], sweepId: string, trialId: string): TrialEvent[] {
  return seen
    .filter((m) => m.subject === `lrsweep.trial.${sweepId}.${trialId}`)
    .map((m) => decodeMessage(TrialEvent, m.data))
    .flatMap((d) => (d.ok ? [d.value] : []));
}
