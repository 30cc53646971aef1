import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { FieldViolation } from '../errors.js';

/** Trailer that carries a google.rpc.Status (the "richer error model" grpcurl and other clients decode). */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';

// The three messages of google/rpc/status.proto, google/rpc/error_details.proto and
// google/protobuf/any.proto that an INVALID_ARGUMENT with field violations needs.
const root = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: { nested: { Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } } },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
            BadRequest: {
              fields: { field_violations: { rule: 'repeated', type: 'FieldViolation', id: 1 } },
              nested: { FieldViolation: { fields: { field: { type: 'string', id: 1 }, description: { type: 'string', id: 2 } } } },
            },
          },
        },
      },
    },
  },
});
const StatusType = root.lookupType('google.rpc.Status');
const AnyType = root.lookupType('google.protobuf.Any');
const BadRequestType = root.lookupType('google.rpc.BadRequest');

interface AnyMessage {
  type_url: string;
  value: Uint8Array;
}

/**
 * An INVALID_ARGUMENT error to pass to a handler's callback (or to throw from a client wrapper).
 * `details` (the status message) is `details` followed by one line per violation,
 * `<field>: <description>`, so any client shows the field paths; the trailers also carry the
 * standard `grpc-status-details-bin` (google.rpc.Status with a google.rpc.BadRequest), which
 * {@link fieldViolationsOf} reads back.
 */
export function invalidArgument(details: string, fieldViolations: readonly FieldViolation[]): grpc.ServiceError {
  const text = [details, ...fieldViolations.map((v) => `${v.field}: ${v.description}`)].join('\n');
  const badRequest = BadRequestType.encode(
    BadRequestType.create({ field_violations: fieldViolations.map((v) => ({ field: v.field, description: v.description })) }),
  ).finish();
  const status = StatusType.encode(
    StatusType.create({
      code: grpc.status.INVALID_ARGUMENT,
      message: details,
      details: [AnyType.create({ type_url: BAD_REQUEST_TYPE_URL, value: badRequest })],
    }),
  ).finish();
  const metadata = new grpc.Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(status));
  return Object.assign(new Error(`${grpc.status.INVALID_ARGUMENT} INVALID_ARGUMENT: ${text}`), {
    code: grpc.status.INVALID_ARGUMENT,
    details: text,
    metadata,
  });
}

/**
 * The field violations of an error from {@link invalidArgument}, as a client receives it
 * (decoded from `grpc-status-details-bin`); [] when it carries none.
 */
export function fieldViolationsOf(error: { metadata?: grpc.Metadata | null }): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const value of error.metadata?.get(STATUS_DETAILS_KEY) ?? []) {
    if (typeof value === 'string') continue;
    try {
      const status = StatusType.toObject(StatusType.decode(value)) as { details?: AnyMessage[] };
      for (const any of status.details ?? []) {
        if (any.type_url !== BAD_REQUEST_TYPE_URL) continue;
        const badRequest = BadRequestType.toObject(BadRequestType.decode(any.value)) as { field_violations?: Partial<FieldViolation>[] };
        for (const v of badRequest.field_violations ?? []) out.push({ field: v.field ?? '', description: v.description ?? '' });
      }
    } catch {
      // Not a google.rpc.Status: nothing we can read.
    }
  }
  return out;
}

/**
 * Trailer of a worker's FAILED_PRECONDITION for a call from a replaced coordinator: the highest
 * coordinator epoch the worker has seen (see RunTrialRequest.coordinator_epoch).
 */
export const FENCED_EPOCH_KEY = 'lrsweep-fenced-epoch';

/** The epoch a worker's refusal names, when `error` is a refusal of a replaced coordinator's call. */
export function fencedEpochOf(error: { code?: number; metadata?: grpc.Metadata }): number | undefined {
  if (error.code !== grpc.status.FAILED_PRECONDITION) return undefined;
  const value = error.metadata?.get(FENCED_EPOCH_KEY)[0];
  const epoch = typeof value === 'string' ? Number(value) : NaN;
  return Number.isSafeInteger(epoch) && epoch > 0 ? epoch : undefined;
}

/** The refusal a worker answers a call from coordinator epoch `epoch` with, after it has seen `highest`. */
export function fencedError(epoch: number, highest: number): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  metadata.set(FENCED_EPOCH_KEY, String(highest));
  return { code: grpc.status.FAILED_PRECONDITION, details: `coordinator epoch ${epoch} was replaced (this worker has seen epoch ${highest}): that coordinator must not act any more`, metadata };
}
