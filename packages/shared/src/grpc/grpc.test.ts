import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { service as healthServiceDefinition } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtoSpecError } from '../errors.js';
import type { SweepServiceClient, SweepServiceHandlers } from '../gen/lrsweep/v1/SweepService.js';
import { specFromProto } from '../spec/proto.js';
import { DEFAULT_DEADLINE_MS, unary } from './client.js';
import { fieldViolationsOf, invalidArgument, STATUS_DETAILS_KEY } from './errors.js';
import { LOADER_OPTIONS, loadLrsweepPackage, protoDir, SWEEP_SERVICE_NAME, WORKER_SERVICE_NAME } from './loader.js';
import { createServer, type LrsweepServer } from './server.js';
import { warmUpWorkerCodecs } from './warm-up.js';

const require = createRequire(import.meta.url);

interface HealthResponse {
  status: string;
}
/** The standard health client (grpc.health.v1.Health), typed just enough for these tests. */
interface HealthClient extends grpc.Client {
  check(request: { service: string }, callback: grpc.requestCallback<HealthResponse>): grpc.ClientUnaryCall;
  watch(request: { service: string }): grpc.ClientReadableStream<HealthResponse>;
}
const HealthClientConstructor = grpc.makeGenericClientConstructor(healthServiceDefinition, 'Health') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => HealthClient;

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}
type ReflectionClient = grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<Record<string, string>, ReflectionResponse> };

/** Sends one reflection request and resolves with the first response. */
function reflect(version: 'v1' | 'v1alpha', address: string, request: Record<string, string>): Promise<ReflectionResponse> {
  const root = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
  const definition = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, { keepCase: true, defaults: true, oneofs: true, includeDirs: [root] });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { reflection: Record<string, { ServerReflection: new (address: string, credentials: grpc.ChannelCredentials) => ReflectionClient }> };
  };
  const Constructor = loaded.grpc.reflection[version]?.ServerReflection;
  if (!Constructor) throw new Error(`no reflection ${version} in the proto`);
  const client = new Constructor(address, grpc.credentials.createInsecure());
  return new Promise<ReflectionResponse>((resolve, reject) => {
    const call = client.ServerReflectionInfo();
    call.on('data', (response: ReflectionResponse) => {
      resolve(response);
      call.end();
    });
    call.on('error', (error) => reject(error));
    call.on('end', () => client.close());
    call.write(request);
  }).finally(() => client.close());
}

describe('loader', () => {
  it('finds proto/ from the source tree', () => {
    expect(existsSync(join(protoDir(), 'lrsweep', 'v1', 'sweep.proto'))).toBe(true);
  });

  it('loads both services, and the options the generated types assume', () => {
    const { proto, packageDefinition } = loadLrsweepPackage();
    expect(typeof proto.lrsweep.v1.SweepService).toBe('function');
    expect(typeof proto.lrsweep.v1.WorkerService).toBe('function');
    expect(Object.keys(packageDefinition)).toContain(SWEEP_SERVICE_NAME);
    expect(Object.keys(packageDefinition)).toContain(WORKER_SERVICE_NAME);
    expect(LOADER_OPTIONS).toStrictEqual({ keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });

    // camelCase fields, string enums, int64 as number, defaults, virtual oneof fields.
    const getSweep = proto.lrsweep.v1.SweepService.service.GetSweep;
    const response = getSweep.responseDeserialize(
      getSweep.responseSerialize({ sweep: { sweepId: 's1', state: 'SWEEP_STATE_SEARCHING', createdUnixMs: 1_700_000_000_123, budget: { stepsSpent: 12 } } }),
    );
    expect(response.sweep?.sweepId).toBe('s1');
    expect(response.sweep?.state).toBe('SWEEP_STATE_SEARCHING');
    expect(response.sweep?.createdUnixMs).toBe(1_700_000_000_123);
    expect(response.sweep?.budget?.fullGridSteps).toBe(0);
    expect(response.sweep?.best).toBeNull();
    expect(response.sweep?.trials).toStrictEqual([]);
    const watch = proto.lrsweep.v1.SweepService.service.WatchSweep;
    expect(watch.responseDeserialize(watch.responseSerialize({ loss: { trialId: 't', step: 3, loss: 0.5 } })).event).toBe('loss');
  });
});

describe('warmUpWorkerCodecs', () => {
  it('runs each WorkerService codec once, RunTrial on a request with a full spec', () => {
    const { proto } = loadLrsweepPackage();
    const service = proto.lrsweep.v1.WorkerService.service;
    const calls: string[] = [];
    const originals = Object.entries(service).map(([name, method]) => [name, { ...method }] as const);
    const runTrialRequests: unknown[] = [];
    for (const [name, method] of Object.entries(service)) {
      const m = method as unknown as Record<'requestSerialize' | 'requestDeserialize' | 'responseSerialize' | 'responseDeserialize', (x: unknown) => unknown>;
      for (const codec of ['requestSerialize', 'requestDeserialize', 'responseSerialize', 'responseDeserialize'] as const) {
        const original = m[codec];
        m[codec] = (x: unknown) => {
          calls.push(`${name}.${codec}`);
          const out = original(x);
          if (name === 'RunTrial' && codec === 'requestDeserialize') runTrialRequests.push(out);
          return out;
        };
      }
    }
    try {
      warmUpWorkerCodecs(proto);
    } finally {
      for (const [name, method] of originals) Object.assign((service as unknown as Record<string, object>)[name]!, method);
    }
    for (const name of Object.keys(service)) {
      for (const codec of ['requestSerialize', 'requestDeserialize', 'responseSerialize', 'responseDeserialize']) expect(calls.filter((c) => c === `${name}.${codec}`)).toHaveLength(1);
    }
    expect(runTrialRequests[0]).toMatchObject({ kind: 'TRIAL_KIND_SEARCH', spec: { model: { kind: 'mlp' }, dataset: { source: 'spirals' } } });
  });
});

const deadlineMs = (deadline: grpc.Deadline | undefined): number => (deadline instanceof Date ? deadline.getTime() : (deadline ?? Number.NaN));

describe('gRPC server and client helpers', () => {
  let lrsweep: LrsweepServer;
  let address: string;
  let client: SweepServiceClient;
  let health: HealthClient;
  const seenDeadlines: grpc.Deadline[] = [];

  beforeAll(async () => {
    const { proto } = loadLrsweepPackage();
    lrsweep = createServer({ services: [SWEEP_SERVICE_NAME] });
    const handlers: SweepServiceHandlers = {
      CancelSweep: (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in this test' }),
      WatchSweep: (call) => call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'not in this test' }),
      // Never answers: for the deadline test.
      GetSweep: () => undefined,
      ListSweeps: (call, callback) => {
        seenDeadlines.push(call.getDeadline());
        callback(null, { sweeps: [{ sweepId: 'a', name: 'n', state: 'SWEEP_STATE_COMPLETED', trials: 3, createdUnixMs: 5 }] });
      },
      SubmitSweep: (call, callback) => {
        try {
          specFromProto(call.request.spec ?? { name: '', model: null, dataset: null, optimizer: null, grid: null, search: null, pruning: null, final: null, rangeTest: null, layerGroups: null });
          callback(null, { sweepId: 'accepted' });
        } catch (error) {
          if (error instanceof ProtoSpecError) callback(invalidArgument('invalid sweep spec', error.violations));
          else callback(error as Error);
        }
      },
    };
    lrsweep.server.addService(proto.lrsweep.v1.SweepService.service, handlers);
    const port = await lrsweep.bind('127.0.0.1:0');
    expect(port).toBeGreaterThan(0);
    address = `127.0.0.1:${port}`;
    client = new proto.lrsweep.v1.SweepService(address, grpc.credentials.createInsecure());
    health = new HealthClientConstructor(address, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    health.close();
    await lrsweep.shutdown(1000);
  });

  it('answers the standard health check for the server and for each service', async () => {
    await expect(unary(health, 'check', { service: '' })).resolves.toStrictEqual({ status: 'SERVING' });
    await expect(unary(health, 'check', { service: SWEEP_SERVICE_NAME })).resolves.toStrictEqual({ status: 'SERVING' });
    await expect(unary(health, 'check', { service: 'lrsweep.v1.Nothing' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it.each(['v1', 'v1alpha'] as const)('lists lrsweep.v1.SweepService through reflection %s', async (version) => {
    const listed = await reflect(version, address, { list_services: '*' });
    expect(listed.list_services_response?.service.map((s) => s.name)).toStrictEqual([SWEEP_SERVICE_NAME]);
    const described = await reflect(version, address, { file_containing_symbol: SWEEP_SERVICE_NAME });
    expect(described.file_descriptor_response?.file_descriptor_proto.length).toBeGreaterThan(0);
  });

  it('unary resolves with the typed response and always sets a deadline (10 s by default)', async () => {
    const before = Date.now();
    const response = await unary(client, 'listSweeps', {});
    expect(response.sweeps[0]?.name).toBe('n');
    expect(response.sweeps[0]?.bestLearningRate).toBeUndefined();
    // The server sees the client's deadline (Infinity when a call has none).
    const ms = deadlineMs(seenDeadlines.at(-1)) - before;
    expect(ms).toBeGreaterThan(DEFAULT_DEADLINE_MS - 2000);
    expect(ms).toBeLessThanOrEqual(DEFAULT_DEADLINE_MS + 1000);

    await unary(client, 'ListSweeps', {}, { deadlineMs: 60_000 });
    const ms60 = deadlineMs(seenDeadlines.at(-1)) - Date.now();
    expect(ms60).toBeGreaterThan(50_000);
    expect(ms60).toBeLessThanOrEqual(60_000);
  });

  it('unary rejects with DEADLINE_EXCEEDED when the handler never answers', async () => {
    const started = Date.now();
    await expect(unary(client, 'getSweep', { sweepId: 'x' }, { deadlineMs: 50 })).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('unary refuses a missing or infinite deadline', async () => {
    await expect(unary(client, 'getSweep', { sweepId: 'x' }, { deadlineMs: Infinity })).rejects.toThrow(RangeError);
    await expect(unary(client, 'getSweep', { sweepId: 'x' }, { deadlineMs: 0 })).rejects.toThrow(RangeError);
  });

  it('answers an invalid spec with INVALID_ARGUMENT naming each proto field path', async () => {
    const error = await unary(client, 'submitSweep', {
      spec: { name: 'bad', model: { mlp: { hidden: [0] } }, dataset: { mnist: {} }, grid: { min: 1, max: 0.5, points: 4 }, batchSize: 0 },
    }).then(
      () => undefined,
      (e: grpc.ServiceError) => e,
    );
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const lines = error?.details.split('\n') ?? [];
    expect(lines[0]).toBe('invalid sweep spec');
    expect(lines.slice(1).map((l) => l.split(': ')[0]).sort()).toStrictEqual(['spec.batch_size', 'spec.grid.min', 'spec.model.mlp.hidden[0]']);
    expect(error?.details).toMatch(/^spec\.grid\.min: min must be less than max \(fix: .*\)$/m);
    // The standard rich error (google.rpc.Status + BadRequest) travels in the trailers.
    expect(error?.metadata.get(STATUS_DETAILS_KEY)).toHaveLength(1);
    const violations = error ? fieldViolationsOf(error) : [];
    expect(violations.map((v) => v.field).sort()).toStrictEqual(['spec.batch_size', 'spec.grid.min', 'spec.model.mlp.hidden[0]']);
    expect(violations.find((v) => v.field === 'spec.batch_size')?.description).toBe('must be at least 1 (fix: set spec.batch_size to at least 1)');

    await expect(unary(client, 'submitSweep', { spec: { name: 'ok', model: { mlp: { hidden: [8] } }, dataset: { mnist: {} } } })).resolves.toStrictEqual({
      sweepId: 'accepted',
    });
  });

  it('invalidArgument is a ServiceError with one line per violation', () => {
    const error = invalidArgument('bad request', [
      { field: 'spec.grid.min', description: 'must be less than max (fix: lower it)' },
      { field: 'spec.name', description: 'is required' },
    ]);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe('bad request\nspec.grid.min: must be less than max (fix: lower it)\nspec.name: is required');
    expect(fieldViolationsOf(error)).toStrictEqual([
      { field: 'spec.grid.min', description: 'must be less than max (fix: lower it)' },
      { field: 'spec.name', description: 'is required' },
    ]);
    expect(fieldViolationsOf({ metadata: new grpc.Metadata() })).toStrictEqual([]);
  });
});

describe('shutdown', () => {
  it('goes NOT_SERVING first (watchers see it), then forces the shutdown after the grace period', async () => {
    const lrsweep = createServer({ services: [SWEEP_SERVICE_NAME] });
    const port = await lrsweep.bind('127.0.0.1:0');
    const health = new HealthClientConstructor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const statuses: string[] = [];
      const watch = health.watch({ service: SWEEP_SERVICE_NAME });
      const ended = new Promise<grpc.ServiceError | undefined>((resolve) => {
        watch.on('error', (error: grpc.ServiceError) => resolve(error));
        watch.on('end', () => resolve(undefined));
      });
      await new Promise<void>((resolve) => {
        watch.on('data', (response: HealthResponse) => {
          statuses.push(response.status);
          resolve();
        });
      });
      expect(statuses).toStrictEqual(['SERVING']);

      // The open watch stream keeps tryShutdown waiting, so shutdown has to force it after 300 ms.
      const started = Date.now();
      const shutdown = lrsweep.shutdown(300);
      expect(lrsweep.shutdown(300)).toBe(shutdown);
      await shutdown;
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(5000);
      const error = await ended;
      expect(statuses).toStrictEqual(['SERVING', 'NOT_SERVING']);
      expect(error?.code).not.toBe(grpc.status.OK);
      await expect(unary(health, 'check', { service: '' }, { deadlineMs: 2000 })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      health.close();
    }
  });

  it('finishes without waiting for the grace period when nothing is in flight', async () => {
    const lrsweep = createServer({ services: [] });
    const port = await lrsweep.bind('127.0.0.1:0');
    const health = new HealthClientConstructor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      await expect(unary(health, 'check', { service: '' })).resolves.toStrictEqual({ status: 'SERVING' });
      const started = Date.now();
      await lrsweep.shutdown(30_000);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      health.close();
    }
  });

  it('bind rejects an address it cannot use', async () => {
    const lrsweep = createServer({ services: [] });
    await expect(lrsweep.bind('256.0.0.1:1')).rejects.toThrow(/cannot bind gRPC server to 256\.0\.0\.1:1/);
    await lrsweep.shutdown(100);
  });
});
