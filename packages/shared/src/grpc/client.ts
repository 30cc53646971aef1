import * as grpc from '@grpc/grpc-js';

/** Deadline of {@link unary} calls that do not set one. */
export const DEFAULT_DEADLINE_MS = 10_000;

type UnaryCallback<Response> = (error: grpc.ServiceError | null, value?: Response) => void;

/**
 * The callback-style unary methods of a generated client. Overloaded methods are matched on their
 * last signature, which for generated clients is `(argument, callback)`; streaming methods (which
 * return streams, not `ClientUnaryCall`) are left out.
 */
export type UnaryMethodName<Client> = {
  [K in keyof Client]: Client[K] extends (argument: infer _Request, callback: infer _Callback) => grpc.ClientUnaryCall ? K : never;
}[keyof Client] &
  string;

export type UnaryRequest<Client, Method extends UnaryMethodName<Client>> =
  Client[Method] extends (argument: infer Request, callback: UnaryCallback<infer _Response>) => grpc.ClientUnaryCall ? Request : never;

export type UnaryResponse<Client, Method extends UnaryMethodName<Client>> =
  Client[Method] extends (argument: infer _Request, callback: UnaryCallback<infer Response>) => grpc.ClientUnaryCall ? Response : never;

export interface UnaryOptions {
  /** Milliseconds from now until the call fails with DEADLINE_EXCEEDED (default 10 s). */
  readonly deadlineMs?: number;
  readonly metadata?: grpc.Metadata;
  /** Other call options; the deadline always comes from `deadlineMs`. */
  readonly callOptions?: Omit<grpc.CallOptions, 'deadline'>;
}

/**
 * Calls a unary method of a generated client and resolves with its response; rejects with the
 * `grpc.ServiceError` (its `code` is a `grpc.status`). Always sets a deadline, so a peer that never
 * answers cannot hang the caller.
 *
 *     const { sweepId } = await unary(client, 'submitSweep', { spec }, { deadlineMs: 5000 });
 */
export function unary<Client extends grpc.Client, Method extends UnaryMethodName<Client>>(
  client: Client,
  method: Method,
  request: UnaryRequest<Client, Method>,
  options: UnaryOptions = {},
): Promise<UnaryResponse<Client, Method>> {
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  if (!Number.isFinite(deadlineMs) || deadlineMs <= 0) {
    return Promise.reject(new RangeError(`unary ${method}: deadlineMs must be a finite number of milliseconds > 0, got ${deadlineMs}`));
  }
  const fn = client[method] as unknown as (
    argument: UnaryRequest<Client, Method>,
    metadata: grpc.Metadata,
    callOptions: grpc.CallOptions,
    callback: UnaryCallback<UnaryResponse<Client, Method>>,
  ) => grpc.ClientUnaryCall;
  if (typeof fn !== 'function') return Promise.reject(new TypeError(`unary: the client has no method ${method}`));
  return new Promise((resolve, reject) => {
    fn.call(client, request, options.metadata ?? new grpc.Metadata(), { ...options.callOptions, deadline: Date.now() + deadlineMs }, (error, value) => {
      if (error) reject(error);
      else if (value === undefined) reject(new Error(`unary ${method}: the call ended without a response or an error`));
      else resolve(value);
    });
  });
}
