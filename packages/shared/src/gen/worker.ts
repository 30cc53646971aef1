import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdamOptimizer as _lrsweep_v1_AdamOptimizer, AdamOptimizer__Output as _lrsweep_v1_AdamOptimizer__Output } from './lrsweep/v1/AdamOptimizer.js';
import type { CnnModel as _lrsweep_v1_CnnModel, CnnModel__Output as _lrsweep_v1_CnnModel__Output } from './lrsweep/v1/CnnModel.js';
import type { CsvDataset as _lrsweep_v1_CsvDataset, CsvDataset__Output as _lrsweep_v1_CsvDataset__Output } from './lrsweep/v1/CsvDataset.js';
import type { DatasetSpec as _lrsweep_v1_DatasetSpec, DatasetSpec__Output as _lrsweep_v1_DatasetSpec__Output } from './lrsweep/v1/DatasetSpec.js';
import type { DescribeWorkerRequest as _lrsweep_v1_DescribeWorkerRequest, DescribeWorkerRequest__Output as _lrsweep_v1_DescribeWorkerRequest__Output } from './lrsweep/v1/DescribeWorkerRequest.js';
import type { DescribeWorkerResponse as _lrsweep_v1_DescribeWorkerResponse, DescribeWorkerResponse__Output as _lrsweep_v1_DescribeWorkerResponse__Output } from './lrsweep/v1/DescribeWorkerResponse.js';
import type { DivergenceGuardSpec as _lrsweep_v1_DivergenceGuardSpec, DivergenceGuardSpec__Output as _lrsweep_v1_DivergenceGuardSpec__Output } from './lrsweep/v1/DivergenceGuardSpec.js';
import type { FinalSpec as _lrsweep_v1_FinalSpec, FinalSpec__Output as _lrsweep_v1_FinalSpec__Output } from './lrsweep/v1/FinalSpec.js';
import type { GridSpec as _lrsweep_v1_GridSpec, GridSpec__Output as _lrsweep_v1_GridSpec__Output } from './lrsweep/v1/GridSpec.js';
import type { LayerGroup as _lrsweep_v1_LayerGroup, LayerGroup__Output as _lrsweep_v1_LayerGroup__Output } from './lrsweep/v1/LayerGroup.js';
import type { LayerGroupsSpec as _lrsweep_v1_LayerGroupsSpec, LayerGroupsSpec__Output as _lrsweep_v1_LayerGroupsSpec__Output } from './lrsweep/v1/LayerGroupsSpec.js';
import type { MlpModel as _lrsweep_v1_MlpModel, MlpModel__Output as _lrsweep_v1_MlpModel__Output } from './lrsweep/v1/MlpModel.js';
import type { MnistDataset as _lrsweep_v1_MnistDataset, MnistDataset__Output as _lrsweep_v1_MnistDataset__Output } from './lrsweep/v1/MnistDataset.js';
import type { ModelSpec as _lrsweep_v1_ModelSpec, ModelSpec__Output as _lrsweep_v1_ModelSpec__Output } from './lrsweep/v1/ModelSpec.js';
import type { MomentumOptimizer as _lrsweep_v1_MomentumOptimizer, MomentumOptimizer__Output as _lrsweep_v1_MomentumOptimizer__Output } from './lrsweep/v1/MomentumOptimizer.js';
import type { OptimizerSpec as _lrsweep_v1_OptimizerSpec, OptimizerSpec__Output as _lrsweep_v1_OptimizerSpec__Output } from './lrsweep/v1/OptimizerSpec.js';
import type { PretrainedWeights as _lrsweep_v1_PretrainedWeights, PretrainedWeights__Output as _lrsweep_v1_PretrainedWeights__Output } from './lrsweep/v1/PretrainedWeights.js';
import type { PruningSpec as _lrsweep_v1_PruningSpec, PruningSpec__Output as _lrsweep_v1_PruningSpec__Output } from './lrsweep/v1/PruningSpec.js';
import type { RangeTestSpec as _lrsweep_v1_RangeTestSpec, RangeTestSpec__Output as _lrsweep_v1_RangeTestSpec__Output } from './lrsweep/v1/RangeTestSpec.js';
import type { ReduceOnPlateauSpec as _lrsweep_v1_ReduceOnPlateauSpec, ReduceOnPlateauSpec__Output as _lrsweep_v1_ReduceOnPlateauSpec__Output } from './lrsweep/v1/ReduceOnPlateauSpec.js';
import type { RmsPropOptimizer as _lrsweep_v1_RmsPropOptimizer, RmsPropOptimizer__Output as _lrsweep_v1_RmsPropOptimizer__Output } from './lrsweep/v1/RmsPropOptimizer.js';
import type { RunTrialRequest as _lrsweep_v1_RunTrialRequest, RunTrialRequest__Output as _lrsweep_v1_RunTrialRequest__Output } from './lrsweep/v1/RunTrialRequest.js';
import type { RunTrialResponse as _lrsweep_v1_RunTrialResponse, RunTrialResponse__Output as _lrsweep_v1_RunTrialResponse__Output } from './lrsweep/v1/RunTrialResponse.js';
import type { RunningTrial as _lrsweep_v1_RunningTrial, RunningTrial__Output as _lrsweep_v1_RunningTrial__Output } from './lrsweep/v1/RunningTrial.js';
import type { SearchSpec as _lrsweep_v1_SearchSpec, SearchSpec__Output as _lrsweep_v1_SearchSpec__Output } from './lrsweep/v1/SearchSpec.js';
import type { SgdOptimizer as _lrsweep_v1_SgdOptimizer, SgdOptimizer__Output as _lrsweep_v1_SgdOptimizer__Output } from './lrsweep/v1/SgdOptimizer.js';
import type { SpiralsDataset as _lrsweep_v1_SpiralsDataset, SpiralsDataset__Output as _lrsweep_v1_SpiralsDataset__Output } from './lrsweep/v1/SpiralsDataset.js';
import type { StagnationSpec as _lrsweep_v1_StagnationSpec, StagnationSpec__Output as _lrsweep_v1_StagnationSpec__Output } from './lrsweep/v1/StagnationSpec.js';
import type { StopTrialRequest as _lrsweep_v1_StopTrialRequest, StopTrialRequest__Output as _lrsweep_v1_StopTrialRequest__Output } from './lrsweep/v1/StopTrialRequest.js';
import type { StopTrialResponse as _lrsweep_v1_StopTrialResponse, StopTrialResponse__Output as _lrsweep_v1_StopTrialResponse__Output } from './lrsweep/v1/StopTrialResponse.js';
import type { SweepSpec as _lrsweep_v1_SweepSpec, SweepSpec__Output as _lrsweep_v1_SweepSpec__Output } from './lrsweep/v1/SweepSpec.js';
import type { WarmRestartsSpec as _lrsweep_v1_WarmRestartsSpec, WarmRestartsSpec__Output as _lrsweep_v1_WarmRestartsSpec__Output } from './lrsweep/v1/WarmRestartsSpec.js';
import type { WorkerServiceClient as _lrsweep_v1_WorkerServiceClient, WorkerServiceDefinition as _lrsweep_v1_WorkerServiceDefinition } from './lrsweep/v1/WorkerService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  lrsweep: {
    v1: {
      AdamOptimizer: MessageTypeDefinition<_lrsweep_v1_AdamOptimizer, _lrsweep_v1_AdamOptimizer__Output>
      CnnModel: MessageTypeDefinition<_lrsweep_v1_CnnModel, _lrsweep_v1_CnnModel__Output>
      CsvDataset: MessageTypeDefinition<_lrsweep_v1_CsvDataset, _lrsweep_v1_CsvDataset__Output>
      DatasetSpec: MessageTypeDefinition<_lrsweep_v1_DatasetSpec, _lrsweep_v1_DatasetSpec__Output>
      DescribeWorkerRequest: MessageTypeDefinition<_lrsweep_v1_DescribeWorkerRequest, _lrsweep_v1_DescribeWorkerRequest__Output>
      DescribeWorkerResponse: MessageTypeDefinition<_lrsweep_v1_DescribeWorkerResponse, _lrsweep_v1_DescribeWorkerResponse__Output>
      DivergenceGuardSpec: MessageTypeDefinition<_lrsweep_v1_DivergenceGuardSpec, _lrsweep_v1_DivergenceGuardSpec__Output>
      FinalSpec: MessageTypeDefinition<_lrsweep_v1_FinalSpec, _lrsweep_v1_FinalSpec__Output>
      GridSpec: MessageTypeDefinition<_lrsweep_v1_GridSpec, _lrsweep_v1_GridSpec__Output>
      LayerGroup: MessageTypeDefinition<_lrsweep_v1_LayerGroup, _lrsweep_v1_LayerGroup__Output>
      LayerGroupSweep: EnumTypeDefinition
      LayerGroupsSpec: MessageTypeDefinition<_lrsweep_v1_LayerGroupsSpec, _lrsweep_v1_LayerGroupsSpec__Output>
      MlpModel: MessageTypeDefinition<_lrsweep_v1_MlpModel, _lrsweep_v1_MlpModel__Output>
      MnistDataset: MessageTypeDefinition<_lrsweep_v1_MnistDataset, _lrsweep_v1_MnistDataset__Output>
      ModelSpec: MessageTypeDefinition<_lrsweep_v1_ModelSpec, _lrsweep_v1_ModelSpec__Output>
      MomentumOptimizer: MessageTypeDefinition<_lrsweep_v1_MomentumOptimizer, _lrsweep_v1_MomentumOptimizer__Output>
      OptimizerSpec: MessageTypeDefinition<_lrsweep_v1_OptimizerSpec, _lrsweep_v1_OptimizerSpec__Output>
      PlateauMonitor: EnumTypeDefinition
      PretrainedWeights: MessageTypeDefinition<_lrsweep_v1_PretrainedWeights, _lrsweep_v1_PretrainedWeights__Output>
      PruningSpec: MessageTypeDefinition<_lrsweep_v1_PruningSpec, _lrsweep_v1_PruningSpec__Output>
      RangeTestSpec: MessageTypeDefinition<_lrsweep_v1_RangeTestSpec, _lrsweep_v1_RangeTestSpec__Output>
      ReduceOnPlateauSpec: MessageTypeDefinition<_lrsweep_v1_ReduceOnPlateauSpec, _lrsweep_v1_ReduceOnPlateauSpec__Output>
      RmsPropOptimizer: MessageTypeDefinition<_lrsweep_v1_RmsPropOptimizer, _lrsweep_v1_RmsPropOptimizer__Output>
      RunTrialRequest: MessageTypeDefinition<_lrsweep_v1_RunTrialRequest, _lrsweep_v1_RunTrialRequest__Output>
      RunTrialResponse: MessageTypeDefinition<_lrsweep_v1_RunTrialResponse, _lrsweep_v1_RunTrialResponse__Output>
      RunningTrial: MessageTypeDefinition<_lrsweep_v1_RunningTrial, _lrsweep_v1_RunningTrial__Output>
      ScheduleKind: EnumTypeDefinition
      SearchSpec: MessageTypeDefinition<_lrsweep_v1_SearchSpec, _lrsweep_v1_SearchSpec__Output>
      SearchStrategy: EnumTypeDefinition
      SgdOptimizer: MessageTypeDefinition<_lrsweep_v1_SgdOptimizer, _lrsweep_v1_SgdOptimizer__Output>
      SpiralsDataset: MessageTypeDefinition<_lrsweep_v1_SpiralsDataset, _lrsweep_v1_SpiralsDataset__Output>
      StagnationSpec: MessageTypeDefinition<_lrsweep_v1_StagnationSpec, _lrsweep_v1_StagnationSpec__Output>
      StopTrialRequest: MessageTypeDefinition<_lrsweep_v1_StopTrialRequest, _lrsweep_v1_StopTrialRequest__Output>
      StopTrialResponse: MessageTypeDefinition<_lrsweep_v1_StopTrialResponse, _lrsweep_v1_StopTrialResponse__Output>
      SweepSpec: MessageTypeDefinition<_lrsweep_v1_SweepSpec, _lrsweep_v1_SweepSpec__Output>
      TrialKind: EnumTypeDefinition
      WarmRestartsSpec: MessageTypeDefinition<_lrsweep_v1_WarmRestartsSpec, _lrsweep_v1_WarmRestartsSpec__Output>
      /**
       * Served by each worker; called by the coordinator. Trials run in the background: progress and
       * outcomes are published on NATS (lrsweep.loss.<sweep>.<trial>, lrsweep.trial.<sweep>.<trial>).
       */
      WorkerService: SubtypeConstructor<typeof grpc.Client, _lrsweep_v1_WorkerServiceClient> & { service: _lrsweep_v1_WorkerServiceDefinition }
    }
  }
}

