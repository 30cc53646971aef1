// Original file: ../../proto/lrsweep/v1/sweep.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelSweepRequest as _lrsweep_v1_CancelSweepRequest, CancelSweepRequest__Output as _lrsweep_v1_CancelSweepRequest__Output } from '../../lrsweep/v1/CancelSweepRequest.js';
import type { CancelSweepResponse as _lrsweep_v1_CancelSweepResponse, CancelSweepResponse__Output as _lrsweep_v1_CancelSweepResponse__Output } from '../../lrsweep/v1/CancelSweepResponse.js';
import type { GetSweepRequest as _lrsweep_v1_GetSweepRequest, GetSweepRequest__Output as _lrsweep_v1_GetSweepRequest__Output } from '../../lrsweep/v1/GetSweepRequest.js';
import type { GetSweepResponse as _lrsweep_v1_GetSweepResponse, GetSweepResponse__Output as _lrsweep_v1_GetSweepResponse__Output } from '../../lrsweep/v1/GetSweepResponse.js';
import type { ListSweepsRequest as _lrsweep_v1_ListSweepsRequest, ListSweepsRequest__Output as _lrsweep_v1_ListSweepsRequest__Output } from '../../lrsweep/v1/ListSweepsRequest.js';
import type { ListSweepsResponse as _lrsweep_v1_ListSweepsResponse, ListSweepsResponse__Output as _lrsweep_v1_ListSweepsResponse__Output } from '../../lrsweep/v1/ListSweepsResponse.js';
import type { SubmitSweepRequest as _lrsweep_v1_SubmitSweepRequest, SubmitSweepRequest__Output as _lrsweep_v1_SubmitSweepRequest__Output } from '../../lrsweep/v1/SubmitSweepRequest.js';
import type { SubmitSweepResponse as _lrsweep_v1_SubmitSweepResponse, SubmitSweepResponse__Output as _lrsweep_v1_SubmitSweepResponse__Output } from '../../lrsweep/v1/SubmitSweepResponse.js';
import type { WatchSweepRequest as _lrsweep_v1_WatchSweepRequest, WatchSweepRequest__Output as _lrsweep_v1_WatchSweepRequest__Output } from '../../lrsweep/v1/WatchSweepRequest.js';
import type { WatchSweepResponse as _lrsweep_v1_WatchSweepResponse, WatchSweepResponse__Output as _lrsweep_v1_WatchSweepResponse__Output } from '../../lrsweep/v1/WatchSweepResponse.js';

/**
 * The public API, served by the coordinator.
 */
export interface SweepServiceClient extends grpc.Client {
  /**
   * Stops every trial of the sweep; trials end CANCELLED.
   */
  CancelSweep(argument: _lrsweep_v1_CancelSweepRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_CancelSweepResponse__Output>): grpc.ClientUnaryCall;
  CancelSweep(argument: _lrsweep_v1_CancelSweepRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lrsweep_v1_CancelSweepResponse__Output>): grpc.ClientUnaryCall;
  CancelSweep(argument: _lrsweep_v1_CancelSweepRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_CancelSweepResponse__Output>): grpc.ClientUnaryCall;
  CancelSweep(argument: _lrsweep_v1_CancelSweepRequest, callback: grpc.requestCallback<_lrsweep_v1_CancelSweepResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Stops every trial of the sweep; trials end CANCELLED.
   */
  cancelSweep(argument: _lrsweep_v1_CancelSweepRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_CancelSweepResponse__Output>): grpc.ClientUnaryCall;
  cancelSweep(argument: _lrsweep_v1_CancelSweepRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lrsweep_v1_CancelSweepResponse__Output>): grpc.ClientUnaryCall;
  cancelSweep(argument: _lrsweep_v1_CancelSweepRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_CancelSweepResponse__Output>): grpc.ClientUnaryCall;
  cancelSweep(argument: _lrsweep_v1_CancelSweepRequest, callback: grpc.requestCallback<_lrsweep_v1_CancelSweepResponse__Output>): grpc.ClientUnaryCall;
  
  GetSweep(argument: _lrsweep_v1_GetSweepRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_GetSweepResponse__Output>): grpc.ClientUnaryCall;
  GetSweep(argument: _lrsweep_v1_GetSweepRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lrsweep_v1_GetSweepResponse__Output>): grpc.ClientUnaryCall;
  GetSweep(argument: _lrsweep_v1_GetSweepRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_GetSweepResponse__Output>): grpc.ClientUnaryCall;
  GetSweep(argument: _lrsweep_v1_GetSweepRequest, callback: grpc.requestCallback<_lrsweep_v1_GetSweepResponse__Output>): grpc.ClientUnaryCall;
  getSweep(argument: _lrsweep_v1_GetSweepRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_GetSweepResponse__Output>): grpc.ClientUnaryCall;
  getSweep(argument: _lrsweep_v1_GetSweepRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lrsweep_v1_GetSweepResponse__Output>): grpc.ClientUnaryCall;
  getSweep(argument: _lrsweep_v1_GetSweepRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_GetSweepResponse__Output>): grpc.ClientUnaryCall;
  getSweep(argument: _lrsweep_v1_GetSweepRequest, callback: grpc.requestCallback<_lrsweep_v1_GetSweepResponse__Output>): grpc.ClientUnaryCall;
  
  ListSweeps(argument: _lrsweep_v1_ListSweepsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_ListSweepsResponse__Output>): grpc.ClientUnaryCall;
  ListSweeps(argument: _lrsweep_v1_ListSweepsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lrsweep_v1_ListSweepsResponse__Output>): grpc.ClientUnaryCall;
  ListSweeps(argument: _lrsweep_v1_ListSweepsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_ListSweepsResponse__Output>): grpc.ClientUnaryCall;
  ListSweeps(argument: _lrsweep_v1_ListSweepsRequest, callback: grpc.requestCallback<_lrsweep_v1_ListSweepsResponse__Output>): grpc.ClientUnaryCall;
  listSweeps(argument: _lrsweep_v1_ListSweepsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_ListSweepsResponse__Output>): grpc.ClientUnaryCall;
  listSweeps(argument: _lrsweep_v1_ListSweepsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lrsweep_v1_ListSweepsResponse__Output>): grpc.ClientUnaryCall;
  listSweeps(argument: _lrsweep_v1_ListSweepsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_ListSweepsResponse__Output>): grpc.ClientUnaryCall;
  listSweeps(argument: _lrsweep_v1_ListSweepsRequest, callback: grpc.requestCallback<_lrsweep_v1_ListSweepsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Validates and accepts a sweep; it runs in the background.
   */
  SubmitSweep(argument: _lrsweep_v1_SubmitSweepRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_SubmitSweepResponse__Output>): grpc.ClientUnaryCall;
  SubmitSweep(argument: _lrsweep_v1_SubmitSweepRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lrsweep_v1_SubmitSweepResponse__Output>): grpc.ClientUnaryCall;
  SubmitSweep(argument: _lrsweep_v1_SubmitSweepRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_SubmitSweepResponse__Output>): grpc.ClientUnaryCall;
  SubmitSweep(argument: _lrsweep_v1_SubmitSweepRequest, callback: grpc.requestCallback<_lrsweep_v1_SubmitSweepResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Validates and accepts a sweep; it runs in the background.
   */
  submitSweep(argument: _lrsweep_v1_SubmitSweepRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_SubmitSweepResponse__Output>): grpc.ClientUnaryCall;
  submitSweep(argument: _lrsweep_v1_SubmitSweepRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lrsweep_v1_SubmitSweepResponse__Output>): grpc.ClientUnaryCall;
  submitSweep(argument: _lrsweep_v1_SubmitSweepRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_SubmitSweepResponse__Output>): grpc.ClientUnaryCall;
  submitSweep(argument: _lrsweep_v1_SubmitSweepRequest, callback: grpc.requestCallback<_lrsweep_v1_SubmitSweepResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A snapshot first, then every progress event until the sweep ends or the client cancels.
   */
  WatchSweep(argument: _lrsweep_v1_WatchSweepRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_lrsweep_v1_WatchSweepResponse__Output>;
  WatchSweep(argument: _lrsweep_v1_WatchSweepRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_lrsweep_v1_WatchSweepResponse__Output>;
  /**
   * A snapshot first, then every progress event until the sweep ends or the client cancels.
   */
  watchSweep(argument: _lrsweep_v1_WatchSweepRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_lrsweep_v1_WatchSweepResponse__Output>;
  watchSweep(argument: _lrsweep_v1_WatchSweepRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_lrsweep_v1_WatchSweepResponse__Output>;
  
}

/**
 * The public API, served by the coordinator.
 */
export interface SweepServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Stops every trial of the sweep; trials end CANCELLED.
   */
  CancelSweep: grpc.handleUnaryCall<_lrsweep_v1_CancelSweepRequest__Output, _lrsweep_v1_CancelSweepResponse>;
  
  GetSweep: grpc.handleUnaryCall<_lrsweep_v1_GetSweepRequest__Output, _lrsweep_v1_GetSweepResponse>;
  
  ListSweeps: grpc.handleUnaryCall<_lrsweep_v1_ListSweepsRequest__Output, _lrsweep_v1_ListSweepsResponse>;
  
  /**
   * Validates and accepts a sweep; it runs in the background.
   */
  SubmitSweep: grpc.handleUnaryCall<_lrsweep_v1_SubmitSweepRequest__Output, _lrsweep_v1_SubmitSweepResponse>;
  
  /**
   * A snapshot first, then every progress event until the sweep ends or the client cancels.
   */
  WatchSweep: grpc.handleServerStreamingCall<_lrsweep_v1_WatchSweepRequest__Output, _lrsweep_v1_WatchSweepResponse>;
  
}

export interface SweepServiceDefinition extends grpc.ServiceDefinition {
  CancelSweep: MethodDefinition<_lrsweep_v1_CancelSweepRequest, _lrsweep_v1_CancelSweepResponse, _lrsweep_v1_CancelSweepRequest__Output, _lrsweep_v1_CancelSweepResponse__Output>
  GetSweep: MethodDefinition<_lrsweep_v1_GetSweepRequest, _lrsweep_v1_GetSweepResponse, _lrsweep_v1_GetSweepRequest__Output, _lrsweep_v1_GetSweepResponse__Output>
  ListSweeps: MethodDefinition<_lrsweep_v1_ListSweepsRequest, _lrsweep_v1_ListSweepsResponse, _lrsweep_v1_ListSweepsRequest__Output, _lrsweep_v1_ListSweepsResponse__Output>
  SubmitSweep: MethodDefinition<_lrsweep_v1_SubmitSweepRequest, _lrsweep_v1_SubmitSweepResponse, _lrsweep_v1_SubmitSweepRequest__Output, _lrsweep_v1_SubmitSweepResponse__Output>
  WatchSweep: MethodDefinition<_lrsweep_v1_WatchSweepRequest, _lrsweep_v1_WatchSweepResponse, _lrsweep_v1_WatchSweepRequest__Output, _lrsweep_v1_WatchSweepResponse__Output>
}
