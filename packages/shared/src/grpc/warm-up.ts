import { parseSpec } from '../spec/load.js';
import { specFromProto, specToProto } from '../spec/proto.js';
import type { ProtoGrpcType } from './loader.js';

/**
 * Runs every WorkerService codec once, RunTrial's on a full spec: protobufjs writes each message
 * type's encoder and decoder at its first use, and the spec's checks compile at theirs (together
 * about 20 ms for a RunTrialRequest on the project's machine), which the first RunTrial of every
 * worker would otherwise wait for. Call at start-up, on both ends.
 */
export function warmUpWorkerCodecs(proto: ProtoGrpcType): void {
  const spec = specToProto(parseSpec({ name: 'warm-up', model: { builtin: 'mlp', hidden: [8] }, dataset: { builtin: 'spirals' } }));
  for (const method of Object.values(proto.lrsweep.v1.WorkerService.service)) {
    const request = method.requestDeserialize(method.requestSerialize(method.path.endsWith('/RunTrial') ? { sweepId: 'w', trialId: 'w', kind: 'TRIAL_KIND_SEARCH', spec, learningRate: 0.1, untilStep: 1, attempt: 1 } : {})) as { spec?: Parameters<typeof specFromProto>[0] | null };
    if (request.spec) specFromProto(request.spec);
    method.responseDeserialize(method.responseSerialize({}));
  }
}
