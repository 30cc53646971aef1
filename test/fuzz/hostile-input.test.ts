/**
 * Hostile input against real processes: a nats-server with JetStream, a coordinator and one worker.
 * A real sweep runs while the coordinator is fed thousands of malformed SweepSpec messages over
 * gRPC, raw bytes that are no SubmitSweepRequest, an oversized request, and garbage on every NATS
 * subject it listens to; afterwards it must still serve, and both that sweep and a new one must
 * complete. Seeded (LRSWEEP_FUZZ_SEED, default below): a failure names the seed and the input index.
 * LRSWEEP_FUZZ_LOG_DIR=<dir> keeps the coordinator's and the worker's output there.
 *
 * Tests 6-9 pin product bugs found by this fuzzing (they fail until fixed): a stale trial event frees
 * a busy slot, specs no worker can run are accepted, prototype keys on lrsweep.ctl.* throw inside
 * the coordinator, and refused specs leave their topology_json on disk.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, fieldViolationsOf, loadLrsweepPackage, parseSpec, specToProto, topologyCacheDir, unary, type SweepSpecInput } from '@lrsweep/shared';
import type { Sweep__Output } from '@lrsweep/shared/gen/lrsweep/v1/Sweep';
import type { SweepServiceClient } from '@lrsweep/shared/gen/lrsweep/v1/SweepService';
import { startCoordinator, startNats, startWorker, type Managed } from '../processes.js';
import { garbageMessage, hostileSpec, hugeMessage, Rng, type BusMessage, type HostileSpec, type RealSweep } from './hostile.js';

const SEED = Number(process.env.LRSWEEP_FUZZ_SEED ?? 20_240_611);
const SPEC_TARGET = 1000;
const BUS_TARGET = 1000;
const WORKER_ID = 'fuzz-w1';
/** Steps of the sweep that runs during the NATS garbage (about 10 s of work on one wasm slot). */
const DURING_STEPS = 2000;
const SUBMIT_METHOD = '/lrsweep.v1.SweepService/SubmitSweep';

const { proto } = loadLrsweepPackage();

const validSpec = (name: string, maxSteps: number) =>
  specToProto(
    parseSpec({
      name,
      seed: 7,
      model: { builtin: 'mlp', hidden: [32, 32] },
      dataset: { builtin: 'spirals', classes: 3, pointsPerClass: 300, sampleFraction: 0.6 },
      optimizer: { name: 'sgd' },
      batchSize: 32,
      grid: { min: 1e-3, max: 0.3, points: 3 },
      search: { strategy: 'grid', minSteps: 10, maxSteps, reductionFactor: 3, reportEvery: 5 },
      final: { epochs: 1, schedule: 'constant' },
    } satisfies SweepSpecInput),
  );

const TERMINAL = new Set(['SWEEP_STATE_COMPLETED', 'SWEEP_STATE_FAILED', 'SWEEP_STATE_CANCELLED']);

/** Runs `task(i)` for i in [0, count) with at most `width` in flight. */
async function pool(count: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
};

describe('hostile input: malformed specs over gRPC and garbage on NATS leave the coordinator serving', () => {
  let nats: Awaited<ReturnType<typeof startNats>>;
  let coordinator: Awaited<ReturnType<typeof startCoordinator>>;
  let worker: Managed;
  let client: SweepServiceClient;
  let nc: NatsConnection | undefined;
  let firstSweepId = '';
  /** The sweep that runs while the garbage arrives (its running trial is the garbage's "real" target). */
  let real: RealSweep;
  const started = Date.now();
  const summary: Record<string, unknown> = { seed: SEED };
  /** Specs the coordinator accepted although each field was in range (model JSON that is no model, too many parameters). */
  const semanticAccepted: { index: number; kinds: string[]; notes: string[]; sweepId: string }[] = [];

  const alive = () => {
    expect(coordinator.process.child.exitCode, `coordinator exited:\n${coordinator.process.output().slice(-3000)}`).toBeNull();
    expect(coordinator.process.child.signalCode).toBeNull();
    expect(worker.child.exitCode, `worker exited:\n${worker.output().slice(-3000)}`).toBeNull();
    expect(worker.child.signalCode).toBeNull();
  };

  const getSweep = async (sweepId: string): Promise<Sweep__Output> => {
    const { sweep } = await unary(client, 'getSweep', { sweepId }, { deadlineMs: 5000 });
    if (!sweep) throw new Error(`GetSweep ${sweepId} returned no sweep`);
    return sweep;
  };

  const waitForEnd = async (sweepId: string, timeoutMs: number): Promise<Sweep__Output> => {
    const deadline = Date.now() + timeoutMs;
    let sweep = await getSweep(sweepId);
    while (!TERMINAL.has(sweep.state) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      sweep = await getSweep(sweepId);
    }
    return sweep;
  };

  beforeAll(async () => {
    nats = await startNats();
    coordinator = await startCoordinator(nats.url);
    worker = await startWorker(nats.url, WORKER_ID);
    client = new proto.lrsweep.v1.SweepService(coordinator.address, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    summary.totalSeconds = (Date.now() - started) / 1000;
    console.log(`hostile-input summary: ${JSON.stringify(summary, null, 2)}`);
    const logDir = process.env.LRSWEEP_FUZZ_LOG_DIR;
    if (logDir && coordinator && worker) {
      mkdirSync(logDir, { recursive: true });
      writeFileSync(join(logDir, 'coordinator.log'), coordinator.process.output());
      writeFileSync(join(logDir, 'worker.log'), worker.output());
    }
    client?.close();
    await nc?.close();
    await worker?.stop();
    await coordinator?.process.stop();
    await nats?.server.stop();
  });

  it('1. takes a valid small sweep first', async () => {
    const { sweepId } = await unary(client, 'submitSweep', { spec: validSpec('fuzz-first', 300) }, { deadlineMs: 10_000 });
    firstSweepId = sweepId;
    const sweep = await getSweep(sweepId);
    expect(sweep.trials).toHaveLength(3);
    summary.firstSweep = { sweepId, stateAfterSubmit: sweep.state };
  });

  it(`2. answers ≥ ${SPEC_TARGET} malformed SweepSpecs with INVALID_ARGUMENT naming spec.* fields, each within 5 s`, async () => {
    const t0 = Date.now();
    const rng = new Rng(SEED);
    let rejected = 0;
    let generated = 0;
    const byChance: { index: number; kinds: string[]; notes: string[]; sweepId: string }[] = [];
    const wrong: { index: number; kinds: string[]; notes: string[]; answer: string }[] = [];
    const latencies: number[] = [];
    const kinds = new Map<string, number>();

    const submit = async (h: HostileSpec): Promise<void> => {
      const begun = performance.now();
      let answer: { sweepId: string } | grpc.ServiceError;
      try {
        answer = await unary(client, 'submitSweep', h.request, { deadlineMs: 5000 });
      } catch (error) {
        answer = error as grpc.ServiceError;
      }
      latencies.push(performance.now() - begun);
      if ('sweepId' in answer) {
        // Accepted: cancel it at once, so it takes no worker time from the real sweep.
        await unary(client, 'cancelSweep', { sweepId: answer.sweepId }, { deadlineMs: 5000 }).catch(() => undefined);
        (h.semantic ? semanticAccepted : byChance).push({ index: h.index, kinds: h.kinds, notes: h.notes, sweepId: answer.sweepId });
        return;
      }
      const fields = fieldViolationsOf(answer).map((v) => v.field);
      const named = fields.filter((f) => /^spec(\.|\[|$)/.test(f));
      const details = answer.details ?? '';
      if (answer.code === grpc.status.INVALID_ARGUMENT && named.length > 0 && named.some((f) => details.includes(f))) {
        rejected += 1;
        for (const k of h.kinds) kinds.set(k, (kinds.get(k) ?? 0) + 1);
        return;
      }
      wrong.push({ index: h.index, kinds: h.kinds, notes: h.notes, answer: `code ${answer.code}, fields [${fields.join(', ')}], details ${JSON.stringify(details.slice(0, 300))}` });
    };

    // Sequential generation (seeded), concurrent sending.
    while (rejected + wrong.length < SPEC_TARGET && generated < SPEC_TARGET * 1.5) {
      const batch = Array.from({ length: 50 }, () => hostileSpec(rng, generated++));
      await pool(batch.length, 8, (i) => submit(batch[i]!));
    }
    const seconds = (Date.now() - t0) / 1000;
    summary.specs = {
      sent: generated,
      rejectedInvalidArgument: rejected,
      wrongAnswers: wrong.length,
      acceptedByChance: byChance.length,
      acceptedSemantic: semanticAccepted.length,
      mutationKinds: kinds.size,
      latencyMs: { p50: Math.round(percentile(latencies, 0.5)), p99: Math.round(percentile(latencies, 0.99)), max: Math.round(Math.max(...latencies)) },
      seconds,
    };
    alive();
    expect(wrong, `seed ${SEED}: malformed specs answered otherwise than INVALID_ARGUMENT with spec.* field violations`).toEqual([]);
    expect(rejected).toBeGreaterThanOrEqual(SPEC_TARGET);
    expect(byChance.length, `seed ${SEED}: mutations accepted: ${JSON.stringify(byChance)}`).toBeLessThanOrEqual(Math.floor(generated / 100));
    // Every field mutation was exercised.
    expect(kinds.size).toBeGreaterThanOrEqual(45);
  }, 150_000);

  it('3. answers raw bytes that are no SubmitSweepRequest with an error status, and refuses an oversized request', async () => {
    const rng = new Rng(SEED + 1);
    const raw = new grpc.Client(coordinator.address, grpc.credentials.createInsecure());
    /** The status code, or 'accepted' with the response's bytes. */
    const send = (bytes: Buffer, method = SUBMIT_METHOD) =>
      new Promise<{ code: number | string; error?: grpc.ServiceError }>((resolve) => {
        raw.makeUnaryRequest(
          method,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          new grpc.Metadata(),
          { deadline: Date.now() + 10_000 },
          (error, value?: Buffer) => resolve(error ? { code: error.code, error } : { code: `accepted: ${value?.toString('hex') ?? ''}` }),
        );
      });
    const payloads: { name: string; bytes: Buffer }[] = [
      ...Array.from({ length: 30 }, (_, i) => ({ name: `random ${i}`, bytes: Buffer.from(rng.bytes(1 + rng.int(4096))) })),
      // spec (field 1, length-delimited) claiming 2^32-1 bytes, with one byte there.
      { name: 'length past the end', bytes: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]) },
      // spec as a varint: the wrong wire type for a message.
      { name: 'wrong wire type', bytes: Buffer.from([0x08, 0x96, 0x01]) },
      // A truncated varint.
      { name: 'truncated varint', bytes: Buffer.from([0x0a, 0x80, 0x80, 0x80]) },
      // 100,000 nested groups of an unknown field (a recursion bomb for a skipping decoder).
      { name: 'nested groups', bytes: Buffer.alloc(100_000, 0x7b) },
      // spec { model { topology_json: invalid UTF-8 } }
      { name: 'invalid utf-8 string', bytes: Buffer.from([0x0a, 0x08, 0x1a, 0x06, 0x1a, 0x04, 0xff, 0xfe, 0xc3, 0x28]) },
      // spec { grid { points: a 10-byte varint } }
      { name: 'overlong varint', bytes: Buffer.from([0x0a, 0x0d, 0x3a, 0x0b, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]) },
    ];
    const answers: { name: string; code: number | string }[] = [];
    for (const p of payloads) {
      const answer = await send(p.bytes);
      answers.push({ name: p.name, code: answer.code });
    }
    const unexpected = answers.filter((a) => a.code !== grpc.status.INTERNAL && a.code !== grpc.status.INVALID_ARGUMENT);
    // An empty message is a valid SubmitSweepRequest without a spec.
    const empty = await send(Buffer.alloc(0));
    const unknownMethod = await send(Buffer.from([0x0a, 0x00]), '/lrsweep.v1.SweepService/Nope');
    // Oversized: 8 MB of topology_json through the typed client, and 8 MB of raw bytes.
    const big = await unary(client, 'submitSweep', { spec: { ...validSpec('fuzz-big', 20), model: { topologyJson: `{"a":"${'x'.repeat(8 << 20)}"}` } } }, { deadlineMs: 20_000 }).catch((e: unknown) => e as grpc.ServiceError);
    const bigRaw = await send(Buffer.from(rng.bytes(8 << 20)));
    raw.close();
    summary.raw = {
      malformed: payloads.length,
      codes: Object.fromEntries(answers.map((a) => [a.name, a.code])),
      empty: empty.code,
      unknownMethod: unknownMethod.code,
      oversizedTyped: 'code' in big ? big.code : 'accepted',
      oversizedRaw: bigRaw.code,
    };
    alive();
    expect(unexpected, 'raw malformed SubmitSweep bytes must get INTERNAL or INVALID_ARGUMENT').toEqual([]);
    expect(empty.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(fieldViolationsOf(empty.error ?? {}).map((v) => v.field)).toContain('spec');
    expect(unknownMethod.code).toBe(grpc.status.UNIMPLEMENTED);
    expect([grpc.status.RESOURCE_EXHAUSTED, grpc.status.INVALID_ARGUMENT], 'an 8 MB SubmitSweep (typed)').toContain('code' in big ? big.code : 'accepted');
    expect([grpc.status.RESOURCE_EXHAUSTED, grpc.status.INVALID_ARGUMENT], 'an 8 MB SubmitSweep (raw bytes)').toContain(bigRaw.code);
    // Still answering after all of it.
    await expect(unary(client, 'listSweeps', {}, { deadlineMs: 5000 })).resolves.toBeDefined();
  }, 60_000);

  it(`4. survives ≥ ${BUS_TARGET} garbage messages on its NATS subjects`, async () => {
    // A longer sweep, running while the garbage arrives: its ids are the garbage's "real" targets.
    const { sweepId: duringId } = await unary(client, 'submitSweep', { spec: validSpec('fuzz-during', DURING_STEPS) }, { deadlineMs: 10_000 });
    let during = await getSweep(duringId);
    for (let i = 0; i < 100 && !during.trials.some((t) => t.state === 'TRIAL_STATE_RUNNING' && t.steps > 0); i++) {
      await new Promise((r) => setTimeout(r, 200));
      during = await getSweep(duringId);
    }
    real = { sweepId: duringId, trialIds: during.trials.map((t) => t.trialId), workerId: WORKER_ID };
    const t0 = Date.now();
    nc = await connect({ servers: nats.url, name: 'fuzz-publisher', maxPingOut: 10 });
    const js = nc.jetstream();
    const rng = new Rng(SEED + 2);
    const messages: BusMessage[] = Array.from({ length: Math.ceil(BUS_TARGET * 1.05) }, () => garbageMessage(rng, real));
    for (let i = 0; i < 12; i++) messages.splice(rng.int(messages.length), 0, hugeMessage(rng, real));
    let published = 0;
    let bytes = 0;
    const failures: { subject: string; kind: string; error: string }[] = [];
    const kinds = new Map<string, number>();
    await pool(messages.length, 16, async (i) => {
      const m = messages[i]!;
      try {
        if (m.via === 'jetstream') await js.publish(m.subject, m.data, { timeout: 10_000 });
        else nc!.publish(m.subject, m.data);
        published += 1;
        bytes += m.data.length;
        kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
      } catch (error) {
        failures.push({ subject: m.subject.slice(0, 120), kind: m.kind, error: (error as Error).message });
      }
    });
    await nc.flush();
    // Let the coordinator read its way through the journal: GetSweep answers from the state the entries build.
    await new Promise((r) => setTimeout(r, 3000));
    during = await getSweep(duringId);
    summary.bus = {
      duringSweep: { sweepId: duringId, state: during.state, trialSteps: during.trials.map((t) => t.steps) },
      published,
      megabytes: Math.round(bytes / 1e5) / 10,
      publishFailures: failures.length,
      failureSamples: failures.slice(0, 5),
      kinds: kinds.size,
      huge: messages.filter((m) => m.kind.endsWith(':huge')).length,
      seconds: (Date.now() - t0) / 1000,
    };
    alive();
    expect(published).toBeGreaterThanOrEqual(BUS_TARGET);
    expect(failures.length, `publish failures: ${JSON.stringify(failures.slice(0, 10))}`).toBeLessThanOrEqual(messages.length - BUS_TARGET);
    await expect(getSweep(firstSweepId)).resolves.toMatchObject({ sweepId: firstSweepId });
  }, 90_000);

  it('5. afterwards both processes live, the first sweep completes with every trial, and a new sweep completes', async () => {
    alive();
    const { sweeps } = await unary(client, 'listSweeps', {}, { deadlineMs: 5000 });
    expect(sweeps.map((s) => s.sweepId)).toContain(firstSweepId);
    // Nothing the garbage named became a sweep: only ours, and the accepted (cancelled) semantic mutations.
    const ours = new Set([firstSweepId, real?.sweepId, ...semanticAccepted.map((s) => s.sweepId)]);
    expect(sweeps.filter((s) => !ours.has(s.sweepId) && s.state !== 'SWEEP_STATE_CANCELLED').map((s) => `${s.sweepId} ${s.name}`)).toEqual([]);

    /** Completed, every trial to its full budget on our worker, started once: the garbage changed nothing. */
    const expectUntouched = (sweep: Sweep__Output, steps: number) => {
      expect(sweep.state, sweep.error).toBe('SWEEP_STATE_COMPLETED');
      expect(sweep.trials.map((t) => t.state)).toEqual(['TRIAL_STATE_COMPLETED', 'TRIAL_STATE_COMPLETED', 'TRIAL_STATE_COMPLETED']);
      expect(sweep.trials.map((t) => t.steps)).toEqual([steps, steps, steps]);
      expect(sweep.trials.every((t) => t.workerId === WORKER_ID)).toBe(true);
      expect(sweep.decisions.map((d) => d.summary).filter((d) => !/ started on | completed /.test(d)), `sweep ${sweep.sweepId}: decisions other than start and complete`).toEqual([]);
      expect(sweep.decisions.filter((d) => d.kind === 'DECISION_KIND_STARTED')).toHaveLength(3);
      expect(sweep.final?.valAccuracy).toBeGreaterThan(0);
    };
    const first = await waitForEnd(firstSweepId, 120_000);
    expectUntouched(first, 300);
    const during = await waitForEnd(real.sweepId, 120_000);
    expectUntouched(during, DURING_STEPS);

    const { sweepId } = await unary(client, 'submitSweep', { spec: validSpec('fuzz-after', 100) }, { deadlineMs: 10_000 });
    const after = await waitForEnd(sweepId, 90_000);
    expectUntouched(after, 100);
    summary.firstSweep = { sweepId: firstSweepId, state: first.state, wallSeconds: first.wallSeconds, steps: first.trials.map((t) => t.steps) };
    summary.duringSweep = { sweepId: during.sweepId, state: during.state, wallSeconds: during.wallSeconds, steps: during.trials.map((t) => t.steps) };
    summary.afterSweep = { sweepId, state: after.state, wallSeconds: after.wallSeconds };
    summary.coordinatorRunTrialFailures = (coordinator.process.output().match(/RunTrial \S+ on \S+ failed/g) ?? []).length;
    alive();
  }, 220_000);

  it('6. a late event of an earlier attempt, naming the real worker, changes nothing', async () => {
    // What a worker's outbox delivers after an outage: an event of attempt 0 for a trial now in its
    // attempt 1 on the same worker (here a `stopped` with an absurd step). The scheduler ignores it by
    // its attempt, and the coordinator's slot accounting must too.
    const { sweepId } = await unary(client, 'submitSweep', { spec: validSpec('fuzz-stale', 20_000) }, { deadlineMs: 10_000 });
    let sweep = await getSweep(sweepId);
    for (let i = 0; i < 100 && !sweep.trials.some((t) => t.state === 'TRIAL_STATE_RUNNING' && t.steps > 0); i++) {
      await new Promise((r) => setTimeout(r, 200));
      sweep = await getSweep(sweepId);
    }
    const running = sweep.trials.find((t) => t.state === 'TRIAL_STATE_RUNNING');
    expect(running, 'a running trial to aim at').toBeDefined();
    const refusals = () => (coordinator.process.output().match(/RunTrial \S+ on \S+ failed/g) ?? []).length;
    const before = refusals();
    const event = { type: 'stopped', sweepId, trialId: running!.trialId, workerId: WORKER_ID, attempt: 0, step: 1e15, outcome: 'stopped' };
    nc ??= await connect({ servers: nats.url, name: 'fuzz-publisher' });
    await nc.jetstream().publish(`lrsweep.trial.${sweepId}.${running!.trialId}`, encodeMessage(event));
    await new Promise((r) => setTimeout(r, 3000));
    const caused = refusals() - before;
    sweep = await getSweep(sweepId);
    const requeues = sweep.decisions.filter((d) => /requeued/.test(d.summary)).length;
    await unary(client, 'cancelSweep', { sweepId }, { deadlineMs: 10_000 });
    summary.staleEventProbe = { sweepId, trial: running!.trialId, runTrialRefusedIn3s: caused, requeueDecisions: requeues, decisions: sweep.decisions.length };
    alive();
    expect(
      { refusedRunTrials: caused, requeueDecisions: requeues },
      'one stale event freed the running trial\'s slot in the coordinator (freeSlot before any attempt check), so it dispatched into a full worker again and again',
    ).toEqual({ refusedRunTrials: 0, requeueDecisions: 0 });
  }, 30_000);

  it('7. validation gaps: a spec whose fields are all in range but that no worker can run is refused at submission', () => {
    // Known product gap (see the report): topology_json that parses as JSON but is no tfjs-layers
    // model (`42`, `[]`, 100,000 nested arrays, a 1 MB JSON string), and MLPs over MAX_PARAMETERS,
    // are accepted by SubmitSweep and only fail later, on a worker.
    summary.semanticAccepted = semanticAccepted.map((s) => `#${s.index}: ${s.notes.join('; ')}`);
    expect(semanticAccepted.map((s) => `#${s.index}: ${s.notes.join('; ')}`), 'SubmitSweep accepted specs no worker can run (should be INVALID_ARGUMENT on spec.model)').toEqual([]);
  });

  it('8. garbage is refused by validation, never by an exception in the coordinator', () => {
    const errors = coordinator.process.output().match(/error applying [^\n]*\n[^\n]*/g) ?? [];
    summary.coordinatorApplyErrors = errors.length;
    summary.coordinatorApplyErrorSamples = [...new Set(errors.map((e) => e.replace(/\s+/g, ' ').slice(0, 200)))].slice(0, 5);
    expect(errors.length, `the coordinator threw while applying journal entries: ${JSON.stringify(summary.coordinatorApplyErrorSamples)}`).toBe(0);
  });

  it('9. a refused spec leaves nothing on the coordinator\'s disk', async () => {
    // topology_json is valid JSON (a distinct one each time) but the grid is not: INVALID_ARGUMENT, and no
    // content-addressed topology file should outlive the refusal (else refused requests fill the disk).
    const written: string[] = [];
    for (let i = 0; i < 3; i++) {
      const topologyJson = JSON.stringify({ fuzz: `${SEED}-${Date.now()}-${i}`, pad: 'p'.repeat(1000) });
      const spec = { ...validSpec('fuzz-disk', 20), model: { topologyJson }, grid: { min: 1, max: 0.5, points: 3 } };
      const error = await unary(client, 'submitSweep', { spec }, { deadlineMs: 5000 }).catch((e: unknown) => e as grpc.ServiceError);
      expect(error).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
      const path = join(topologyCacheDir(), `${createHash('sha256').update(topologyJson).digest('hex')}.json`);
      if (existsSync(path)) written.push(path);
    }
    summary.refusedSpecsTopologyFilesLeft = written.length;
    expect(written, 'SubmitSweep wrote the topology_json of refused specs to disk').toEqual([]);
  });
});
