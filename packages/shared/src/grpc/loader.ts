import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { PackageDefinition } from '@grpc/proto-loader';
import type { ProtoGrpcType as SweepProtoGrpcType } from '../gen/sweep.js';
import type { ProtoGrpcType as WorkerProtoGrpcType } from '../gen/worker.js';

/**
 * How the protos are turned into JavaScript objects, at run time (here) and in the generated types
 * (`src/gen`, written by `pnpm proto:gen` with the matching flags: `--longs=Number --enums=String
 * --defaults --oneofs`, camelCase fields). Change both together, then run `pnpm proto:gen`;
 * `pnpm proto:check` fails while they differ from the committed types.
 *
 * - keepCase false: fields are camelCase (`batch_size` → `batchSize`);
 * - longs Number: int64 fields are plain numbers (our int64s are counts and Unix milliseconds);
 * - enums String: enum values are their names (`SEARCH_STRATEGY_ASHA`);
 * - defaults true: unset scalars read as their zero value, unset messages as `null`; proto3
 *   `optional` fields stay `undefined` when unset (that is how "use the default" is told apart);
 * - oneofs true: each oneof has a virtual field naming its set member (`model.kind === 'mlp'`).
 */
export const LOADER_OPTIONS = Object.freeze({
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
}) satisfies protoLoader.Options;

/** The proto files of package lrsweep.v1, relative to {@link protoDir}. */
export const PROTO_FILES: readonly string[] = ['lrsweep/v1/spec.proto', 'lrsweep/v1/sweep.proto', 'lrsweep/v1/worker.proto'];

/** Every service and message of lrsweep.v1, typed (SweepService, WorkerService, SweepSpec, ...). */
export type ProtoGrpcType = SweepProtoGrpcType & WorkerProtoGrpcType;

/** Fully qualified names of our services, as health checks and reflection name them. */
export const SWEEP_SERVICE_NAME = 'lrsweep.v1.SweepService';
export const WORKER_SERVICE_NAME = 'lrsweep.v1.WorkerService';

let cachedProtoDir: string | undefined;

/**
 * Absolute path of the repository's `proto/` folder (the import root of `lrsweep/v1/*.proto`).
 * Found by walking up from this module, so it works from `src/grpc` (vitest) and `dist/grpc`
 * (built) alike; `LRSWEEP_PROTO_DIR` overrides it (e.g. an image that ships the protos elsewhere).
 */
export function protoDir(): string {
  const override = process.env.LRSWEEP_PROTO_DIR;
  if (override) return resolve(override);
  if (cachedProtoDir !== undefined) return cachedProtoDir;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'lrsweep', 'v1', 'spec.proto'))) return (cachedProtoDir = candidate);
    if (dirname(dir) === dir) break;
  }
  throw new Error(`cannot find proto/lrsweep/v1/spec.proto in any folder above ${start}; set LRSWEEP_PROTO_DIR to the folder that holds lrsweep/v1/`);
}

let cachedDefinition: { dir: string; definition: PackageDefinition } | undefined;

/** The raw package definition of lrsweep.v1 (what reflection serves), loaded once per proto folder. */
export function loadLrsweepPackageDefinition(): PackageDefinition {
  const dir = protoDir();
  if (cachedDefinition?.dir !== dir) {
    cachedDefinition = { dir, definition: protoLoader.loadSync([...PROTO_FILES], { ...LOADER_OPTIONS, includeDirs: [dir] }) };
  }
  return cachedDefinition.definition;
}

export interface LrsweepPackage {
  /** Typed service constructors and message definitions: `proto.lrsweep.v1.SweepService`. */
  readonly proto: ProtoGrpcType;
  /** The definition it was made from (pass it to reflection). */
  readonly packageDefinition: PackageDefinition;
}

/** Loads the three protos of lrsweep.v1 with {@link LOADER_OPTIONS}. */
export function loadLrsweepPackage(): LrsweepPackage {
  const packageDefinition = loadLrsweepPackageDefinition();
  return { proto: grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType, packageDefinition };
}
