// Original file: ../../proto/lrsweep/v1/worker.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DescribeWorkerRequest as _lrsweep_v1_DescribeWorkerRequest, DescribeWorkerRequest__Output as _lrsweep_v1_DescribeWorkerRequest__Output } from '../../lrsweep/v1/DescribeWorkerRequest.js';
import type { DescribeWorkerResponse as _lrsweep_v1_DescribeWorkerResponse, DescribeWorkerResponse__Output as _lrsweep_v1_DescribeWorkerResponse__Output } from '../../lrsweep/v1/DescribeWorkerResponse.js';
import type { RunTrialRequest as _lrsweep_v1_RunTrialRequest, RunTrialRequest__Output as _lrsweep_v1_RunTrialRequest__Output } from '../../lrsweep/v1/RunTrialRequest.js';
import type { RunTrialResponse as _lrsweep_v1_RunTrialResponse, RunTrialResponse__Output as _lrsweep_v1_RunTrialResponse__Output } from '../../lrsweep/v1/RunTrialResponse.js';
import type { StopTrialRequest as _lrsweep_v1_StopTrialRequest, StopTrialRequest__Output as _lrsweep_v1_StopTrialRequest__Output } from '../../lrsweep/v1/StopTrialRequest.js';
import type { StopTrialResponse as _lrsweep_v1_StopTrialResponse, StopTrialResponse__Output as _lrsweep_v1_StopTrialResponse__Output } from '../../lrsweep/v1/StopTrialResponse.js';

/**
 * Served by each worker; called by the coordinator. Trials run in the background: progress and
 * outcomes are published on NATS (lrsweep.loss.<sweep>.<trial>, lrsweep.trial.<sweep>.<trial>).
 */
export interface WorkerServiceClient extends grpc.Client {
  DescribeWorker(argument: _lrsweep_v1_DescribeWorkerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_DescribeWorkerResponse__Output>): grpc.ClientUnaryCall;
  DescribeWorker(argument: _lrsweep_v1_DescribeWorkerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lrsweep_v1_DescribeWorkerResponse__Output>): grpc.ClientUnaryCall;
  DescribeWorker(argument: _lrsweep_v1_DescribeWorkerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_DescribeWorkerResponse__Output>): grpc.ClientUnaryCall;
  DescribeWorker(argument: _lrsweep_v1_DescribeWorkerRequest, callback: grpc.requestCallback<_lrsweep_v1_DescribeWorkerResponse__Output>): grpc.ClientUnaryCall;
  describeWorker(argument: _lrsweep_v1_DescribeWorkerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_DescribeWorkerResponse__Output>): grpc.ClientUnaryCall;
  describeWorker(argument: _lrsweep_v1_DescribeWorkerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lrsweep_v1_DescribeWorkerResponse__Output>): grpc.ClientUnaryCall;
  describeWorker(argument: _lrsweep_v1_DescribeWorkerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_DescribeWorkerResponse__Output>): grpc.ClientUnaryCall;
  describeWorker(argument: _lrsweep_v1_DescribeWorkerRequest, callback: grpc.requestCallback<_lrsweep_v1_DescribeWorkerResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Starts a trial, or resumes a paused one (weights and optimizer state kept), until a step budget.
   */
  RunTrial(argument: _lrsweep_v1_RunTrialRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_RunTrialResponse__Output>): grpc.ClientUnaryCall;
  RunTrial(argument: _lrsweep_v1_RunTrialRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lrsweep_v1_RunTrialResponse__Output>): grpc.ClientUnaryCall;
  RunTrial(argument: _lrsweep_v1_RunTrialRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_RunTrialResponse__Output>): grpc.ClientUnaryCall;
  RunTrial(argument: _lrsweep_v1_RunTrialRequest, callback: grpc.requestCallback<_lrsweep_v1_RunTrialResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Starts a trial, or resumes a paused one (weights and optimizer state kept), until a step budget.
   */
  runTrial(argument: _lrsweep_v1_RunTrialRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_RunTrialResponse__Output>): grpc.ClientUnaryCall;
  runTrial(argument: _lrsweep_v1_RunTrialRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lrsweep_v1_RunTrialResponse__Output>): grpc.ClientUnaryCall;
  runTrial(argument: _lrsweep_v1_RunTrialRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_RunTrialResponse__Output>): grpc.ClientUnaryCall;
  runTrial(argument: _lrsweep_v1_RunTrialRequest, callback: grpc.requestCallback<_lrsweep_v1_RunTrialResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Stops a trial at its next step and frees everything it holds.
   */
  StopTrial(argument: _lrsweep_v1_StopTrialRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_StopTrialResponse__Output>): grpc.ClientUnaryCall;
  StopTrial(argument: _lrsweep_v1_StopTrialRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lrsweep_v1_StopTrialResponse__Output>): grpc.ClientUnaryCall;
  StopTrial(argument: _lrsweep_v1_StopTrialRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_StopTrialResponse__Output>): grpc.ClientUnaryCall;
  StopTrial(argument: _lrsweep_v1_StopTrialRequest, callback: grpc.requestCallback<_lrsweep_v1_StopTrialResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Stops a trial at its next step and frees everything it holds.
   */
  stopTrial(argument: _lrsweep_v1_StopTrialRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_StopTrialResponse__Output>): grpc.ClientUnaryCall;
  stopTrial(argument: _lrsweep_v1_StopTrialRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_lrsweep_v1_StopTrialResponse__Output>): grpc.ClientUnaryCall;
  stopTrial(argument: _lrsweep_v1_StopTrialRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_lrsweep_v1_StopTrialResponse__Output>): grpc.ClientUnaryCall;
  stopTrial(argument: _lrsweep_v1_StopTrialRequest, callback: grpc.requestCallback<_lrsweep_v1_StopTrialResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Served by each worker; called by the coordinator. Trials run in the background: progress and
 * outcomes are published on NATS (lrsweep.loss.<sweep>.<trial>, lrsweep.trial.<sweep>.<trial>).
 */
export interface WorkerServiceHandlers extends grpc.UntypedServiceImplementation {
  DescribeWorker: grpc.handleUnaryCall<_lrsweep_v1_DescribeWorkerRequest__Output, _lrsweep_v1_DescribeWorkerResponse>;
  
  /**
   * Starts a trial, or resumes a paused one (weights and optimizer state kept), until a step budget.
   */
  RunTrial: grpc.handleUnaryCall<_lrsweep_v1_RunTrialRequest__Output, _lrsweep_v1_RunTrialResponse>;
  
  /**
   * Stops a trial at its next step and frees everything it holds.
   */
  StopTrial: grpc.handleUnaryCall<_lrsweep_v1_StopTrialRequest__Output, _lrsweep_v1_StopTrialResponse>;
  
}

export interface WorkerServiceDefinition extends grpc.ServiceDefinition {
  DescribeWorker: MethodDefinition<_lrsweep_v1_DescribeWorkerRequest, _lrsweep_v1_DescribeWorkerResponse, _lrsweep_v1_DescribeWorkerRequest__Output, _lrsweep_v1_DescribeWorkerResponse__Output>
  RunTrial: MethodDefinition<_lrsweep_v1_RunTrialRequest, _lrsweep_v1_RunTrialResponse, _lrsweep_v1_RunTrialRequest__Output, _lrsweep_v1_RunTrialResponse__Output>
  StopTrial: MethodDefinition<_lrsweep_v1_StopTrialRequest, _lrsweep_v1_StopTrialResponse, _lrsweep_v1_StopTrialRequest__Output, _lrsweep_v1_StopTrialResponse__Output>
}
