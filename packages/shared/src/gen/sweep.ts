import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdamOptimizer as _lrsweep_v1_AdamOptimizer, AdamOptimizer__Output as _lrsweep_v1_AdamOptimizer__Output } from './lrsweep/v1/AdamOptimizer.js';
import type { BestTrial as _lrsweep_v1_BestTrial, BestTrial__Output as _lrsweep_v1_BestTrial__Output } from './lrsweep/v1/BestTrial.js';
import type { Budget as _lrsweep_v1_Budget, Budget__Output as _lrsweep_v1_Budget__Output } from './lrsweep/v1/Budget.js';
import type { CancelSweepRequest as _lrsweep_v1_CancelSweepRequest, CancelSweepRequest__Output as _lrsweep_v1_CancelSweepRequest__Output } from './lrsweep/v1/CancelSweepRequest.js';
import type { CancelSweepResponse as _lrsweep_v1_CancelSweepResponse, CancelSweepResponse__Output as _lrsweep_v1_CancelSweepResponse__Output } from './lrsweep/v1/CancelSweepResponse.js';
import type { CnnModel as _lrsweep_v1_CnnModel, CnnModel__Output as _lrsweep_v1_CnnModel__Output } from './lrsweep/v1/CnnModel.js';
import type { CsvDataset as _lrsweep_v1_CsvDataset, CsvDataset__Output as _lrsweep_v1_CsvDataset__Output } from './lrsweep/v1/CsvDataset.js';
import type { DatasetSpec as _lrsweep_v1_DatasetSpec, DatasetSpec__Output as _lrsweep_v1_DatasetSpec__Output } from './lrsweep/v1/DatasetSpec.js';
import type { Decision as _lrsweep_v1_Decision, Decision__Output as _lrsweep_v1_Decision__Output } from './lrsweep/v1/Decision.js';
import type { DivergenceGuardSpec as _lrsweep_v1_DivergenceGuardSpec, DivergenceGuardSpec__Output as _lrsweep_v1_DivergenceGuardSpec__Output } from './lrsweep/v1/DivergenceGuardSpec.js';
import type { Evidence as _lrsweep_v1_Evidence, Evidence__Output as _lrsweep_v1_Evidence__Output } from './lrsweep/v1/Evidence.js';
import type { FinalProgress as _lrsweep_v1_FinalProgress, FinalProgress__Output as _lrsweep_v1_FinalProgress__Output } from './lrsweep/v1/FinalProgress.js';
import type { FinalSpec as _lrsweep_v1_FinalSpec, FinalSpec__Output as _lrsweep_v1_FinalSpec__Output } from './lrsweep/v1/FinalSpec.js';
import type { FinalTraining as _lrsweep_v1_FinalTraining, FinalTraining__Output as _lrsweep_v1_FinalTraining__Output } from './lrsweep/v1/FinalTraining.js';
import type { GetSweepRequest as _lrsweep_v1_GetSweepRequest, GetSweepRequest__Output as _lrsweep_v1_GetSweepRequest__Output } from './lrsweep/v1/GetSweepRequest.js';
import type { GetSweepResponse as _lrsweep_v1_GetSweepResponse, GetSweepResponse__Output as _lrsweep_v1_GetSweepResponse__Output } from './lrsweep/v1/GetSweepResponse.js';
import type { GridSpec as _lrsweep_v1_GridSpec, GridSpec__Output as _lrsweep_v1_GridSpec__Output } from './lrsweep/v1/GridSpec.js';
import type { LayerGroup as _lrsweep_v1_LayerGroup, LayerGroup__Output as _lrsweep_v1_LayerGroup__Output } from './lrsweep/v1/LayerGroup.js';
import type { LayerGroupsSpec as _lrsweep_v1_LayerGroupsSpec, LayerGroupsSpec__Output as _lrsweep_v1_LayerGroupsSpec__Output } from './lrsweep/v1/LayerGroupsSpec.js';
import type { LearningRateRange as _lrsweep_v1_LearningRateRange, LearningRateRange__Output as _lrsweep_v1_LearningRateRange__Output } from './lrsweep/v1/LearningRateRange.js';
import type { ListSweepsRequest as _lrsweep_v1_ListSweepsRequest, ListSweepsRequest__Output as _lrsweep_v1_ListSweepsRequest__Output } from './lrsweep/v1/ListSweepsRequest.js';
import type { ListSweepsResponse as _lrsweep_v1_ListSweepsResponse, ListSweepsResponse__Output as _lrsweep_v1_ListSweepsResponse__Output } from './lrsweep/v1/ListSweepsResponse.js';
import type { LossPoint as _lrsweep_v1_LossPoint, LossPoint__Output as _lrsweep_v1_LossPoint__Output } from './lrsweep/v1/LossPoint.js';
import type { MlpModel as _lrsweep_v1_MlpModel, MlpModel__Output as _lrsweep_v1_MlpModel__Output } from './lrsweep/v1/MlpModel.js';
import type { MnistDataset as _lrsweep_v1_MnistDataset, MnistDataset__Output as _lrsweep_v1_MnistDataset__Output } from './lrsweep/v1/MnistDataset.js';
import type { ModelSpec as _lrsweep_v1_ModelSpec, ModelSpec__Output as _lrsweep_v1_ModelSpec__Output } from './lrsweep/v1/ModelSpec.js';
import type { MomentumOptimizer as _lrsweep_v1_MomentumOptimizer, MomentumOptimizer__Output as _lrsweep_v1_MomentumOptimizer__Output } from './lrsweep/v1/MomentumOptimizer.js';
import type { OptimizerSpec as _lrsweep_v1_OptimizerSpec, OptimizerSpec__Output as _lrsweep_v1_OptimizerSpec__Output } from './lrsweep/v1/OptimizerSpec.js';
import type { Peer as _lrsweep_v1_Peer, Peer__Output as _lrsweep_v1_Peer__Output } from './lrsweep/v1/Peer.js';
import type { PretrainedWeights as _lrsweep_v1_PretrainedWeights, PretrainedWeights__Output as _lrsweep_v1_PretrainedWeights__Output } from './lrsweep/v1/PretrainedWeights.js';
import type { PruningSpec as _lrsweep_v1_PruningSpec, PruningSpec__Output as _lrsweep_v1_PruningSpec__Output } from './lrsweep/v1/PruningSpec.js';
import type { RangeTestSpec as _lrsweep_v1_RangeTestSpec, RangeTestSpec__Output as _lrsweep_v1_RangeTestSpec__Output } from './lrsweep/v1/RangeTestSpec.js';
import type { RateChange as _lrsweep_v1_RateChange, RateChange__Output as _lrsweep_v1_RateChange__Output } from './lrsweep/v1/RateChange.js';
import type { ReduceOnPlateauSpec as _lrsweep_v1_ReduceOnPlateauSpec, ReduceOnPlateauSpec__Output as _lrsweep_v1_ReduceOnPlateauSpec__Output } from './lrsweep/v1/ReduceOnPlateauSpec.js';
import type { RmsPropOptimizer as _lrsweep_v1_RmsPropOptimizer, RmsPropOptimizer__Output as _lrsweep_v1_RmsPropOptimizer__Output } from './lrsweep/v1/RmsPropOptimizer.js';
import type { SearchSpec as _lrsweep_v1_SearchSpec, SearchSpec__Output as _lrsweep_v1_SearchSpec__Output } from './lrsweep/v1/SearchSpec.js';
import type { SgdOptimizer as _lrsweep_v1_SgdOptimizer, SgdOptimizer__Output as _lrsweep_v1_SgdOptimizer__Output } from './lrsweep/v1/SgdOptimizer.js';
import type { SpiralsDataset as _lrsweep_v1_SpiralsDataset, SpiralsDataset__Output as _lrsweep_v1_SpiralsDataset__Output } from './lrsweep/v1/SpiralsDataset.js';
import type { StagnationSpec as _lrsweep_v1_StagnationSpec, StagnationSpec__Output as _lrsweep_v1_StagnationSpec__Output } from './lrsweep/v1/StagnationSpec.js';
import type { SubmitSweepRequest as _lrsweep_v1_SubmitSweepRequest, SubmitSweepRequest__Output as _lrsweep_v1_SubmitSweepRequest__Output } from './lrsweep/v1/SubmitSweepRequest.js';
import type { SubmitSweepResponse as _lrsweep_v1_SubmitSweepResponse, SubmitSweepResponse__Output as _lrsweep_v1_SubmitSweepResponse__Output } from './lrsweep/v1/SubmitSweepResponse.js';
import type { Sweep as _lrsweep_v1_Sweep, Sweep__Output as _lrsweep_v1_Sweep__Output } from './lrsweep/v1/Sweep.js';
import type { SweepServiceClient as _lrsweep_v1_SweepServiceClient, SweepServiceDefinition as _lrsweep_v1_SweepServiceDefinition } from './lrsweep/v1/SweepService.js';
import type { SweepSpec as _lrsweep_v1_SweepSpec, SweepSpec__Output as _lrsweep_v1_SweepSpec__Output } from './lrsweep/v1/SweepSpec.js';
import type { SweepSummary as _lrsweep_v1_SweepSummary, SweepSummary__Output as _lrsweep_v1_SweepSummary__Output } from './lrsweep/v1/SweepSummary.js';
import type { Trial as _lrsweep_v1_Trial, Trial__Output as _lrsweep_v1_Trial__Output } from './lrsweep/v1/Trial.js';
import type { WarmRestartsSpec as _lrsweep_v1_WarmRestartsSpec, WarmRestartsSpec__Output as _lrsweep_v1_WarmRestartsSpec__Output } from './lrsweep/v1/WarmRestartsSpec.js';
import type { WatchSweepRequest as _lrsweep_v1_WatchSweepRequest, WatchSweepRequest__Output as _lrsweep_v1_WatchSweepRequest__Output } from './lrsweep/v1/WatchSweepRequest.js';
import type { WatchSweepResponse as _lrsweep_v1_WatchSweepResponse, WatchSweepResponse__Output as _lrsweep_v1_WatchSweepResponse__Output } from './lrsweep/v1/WatchSweepResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  lrsweep: {
    v1: {
      AdamOptimizer: MessageTypeDefinition<_lrsweep_v1_AdamOptimizer, _lrsweep_v1_AdamOptimizer__Output>
      BestTrial: MessageTypeDefinition<_lrsweep_v1_BestTrial, _lrsweep_v1_BestTrial__Output>
      Budget: MessageTypeDefinition<_lrsweep_v1_Budget, _lrsweep_v1_Budget__Output>
      CancelSweepRequest: MessageTypeDefinition<_lrsweep_v1_CancelSweepRequest, _lrsweep_v1_CancelSweepRequest__Output>
      CancelSweepResponse: MessageTypeDefinition<_lrsweep_v1_CancelSweepResponse, _lrsweep_v1_CancelSweepResponse__Output>
      CnnModel: MessageTypeDefinition<_lrsweep_v1_CnnModel, _lrsweep_v1_CnnModel__Output>
      CsvDataset: MessageTypeDefinition<_lrsweep_v1_CsvDataset, _lrsweep_v1_CsvDataset__Output>
      DatasetSpec: MessageTypeDefinition<_lrsweep_v1_DatasetSpec, _lrsweep_v1_DatasetSpec__Output>
      Decision: MessageTypeDefinition<_lrsweep_v1_Decision, _lrsweep_v1_Decision__Output>
      DecisionKind: EnumTypeDefinition
      DivergenceGuardSpec: MessageTypeDefinition<_lrsweep_v1_DivergenceGuardSpec, _lrsweep_v1_DivergenceGuardSpec__Output>
      Evidence: MessageTypeDefinition<_lrsweep_v1_Evidence, _lrsweep_v1_Evidence__Output>
      FinalProgress: MessageTypeDefinition<_lrsweep_v1_FinalProgress, _lrsweep_v1_FinalProgress__Output>
      FinalSpec: MessageTypeDefinition<_lrsweep_v1_FinalSpec, _lrsweep_v1_FinalSpec__Output>
      FinalTraining: MessageTypeDefinition<_lrsweep_v1_FinalTraining, _lrsweep_v1_FinalTraining__Output>
      GetSweepRequest: MessageTypeDefinition<_lrsweep_v1_GetSweepRequest, _lrsweep_v1_GetSweepRequest__Output>
      GetSweepResponse: MessageTypeDefinition<_lrsweep_v1_GetSweepResponse, _lrsweep_v1_GetSweepResponse__Output>
      GridSpec: MessageTypeDefinition<_lrsweep_v1_GridSpec, _lrsweep_v1_GridSpec__Output>
      LayerGroup: MessageTypeDefinition<_lrsweep_v1_LayerGroup, _lrsweep_v1_LayerGroup__Output>
      LayerGroupSweep: EnumTypeDefinition
      LayerGroupsSpec: MessageTypeDefinition<_lrsweep_v1_LayerGroupsSpec, _lrsweep_v1_LayerGroupsSpec__Output>
      LearningRateRange: MessageTypeDefinition<_lrsweep_v1_LearningRateRange, _lrsweep_v1_LearningRateRange__Output>
      ListSweepsRequest: MessageTypeDefinition<_lrsweep_v1_ListSweepsRequest, _lrsweep_v1_ListSweepsRequest__Output>
      ListSweepsResponse: MessageTypeDefinition<_lrsweep_v1_ListSweepsResponse, _lrsweep_v1_ListSweepsResponse__Output>
      LossPoint: MessageTypeDefinition<_lrsweep_v1_LossPoint, _lrsweep_v1_LossPoint__Output>
      MlpModel: MessageTypeDefinition<_lrsweep_v1_MlpModel, _lrsweep_v1_MlpModel__Output>
      MnistDataset: MessageTypeDefinition<_lrsweep_v1_MnistDataset, _lrsweep_v1_MnistDataset__Output>
      ModelSpec: MessageTypeDefinition<_lrsweep_v1_ModelSpec, _lrsweep_v1_ModelSpec__Output>
      MomentumOptimizer: MessageTypeDefinition<_lrsweep_v1_MomentumOptimizer, _lrsweep_v1_MomentumOptimizer__Output>
      OptimizerSpec: MessageTypeDefinition<_lrsweep_v1_OptimizerSpec, _lrsweep_v1_OptimizerSpec__Output>
      Peer: MessageTypeDefinition<_lrsweep_v1_Peer, _lrsweep_v1_Peer__Output>
      PlateauMonitor: EnumTypeDefinition
      PretrainedWeights: MessageTypeDefinition<_lrsweep_v1_PretrainedWeights, _lrsweep_v1_PretrainedWeights__Output>
      PruneReason: EnumTypeDefinition
      PruningSpec: MessageTypeDefinition<_lrsweep_v1_PruningSpec, _lrsweep_v1_PruningSpec__Output>
      RangeTestSpec: MessageTypeDefinition<_lrsweep_v1_RangeTestSpec, _lrsweep_v1_RangeTestSpec__Output>
      RateChange: MessageTypeDefinition<_lrsweep_v1_RateChange, _lrsweep_v1_RateChange__Output>
      RateChangeCause: EnumTypeDefinition
      ReduceOnPlateauSpec: MessageTypeDefinition<_lrsweep_v1_ReduceOnPlateauSpec, _lrsweep_v1_ReduceOnPlateauSpec__Output>
      RmsPropOptimizer: MessageTypeDefinition<_lrsweep_v1_RmsPropOptimizer, _lrsweep_v1_RmsPropOptimizer__Output>
      ScheduleKind: EnumTypeDefinition
      SearchSpec: MessageTypeDefinition<_lrsweep_v1_SearchSpec, _lrsweep_v1_SearchSpec__Output>
      SearchStrategy: EnumTypeDefinition
      SgdOptimizer: MessageTypeDefinition<_lrsweep_v1_SgdOptimizer, _lrsweep_v1_SgdOptimizer__Output>
      SpiralsDataset: MessageTypeDefinition<_lrsweep_v1_SpiralsDataset, _lrsweep_v1_SpiralsDataset__Output>
      StagnationSpec: MessageTypeDefinition<_lrsweep_v1_StagnationSpec, _lrsweep_v1_StagnationSpec__Output>
      SubmitSweepRequest: MessageTypeDefinition<_lrsweep_v1_SubmitSweepRequest, _lrsweep_v1_SubmitSweepRequest__Output>
      SubmitSweepResponse: MessageTypeDefinition<_lrsweep_v1_SubmitSweepResponse, _lrsweep_v1_SubmitSweepResponse__Output>
      Sweep: MessageTypeDefinition<_lrsweep_v1_Sweep, _lrsweep_v1_Sweep__Output>
      /**
       * The public API, served by the coordinator.
       */
      SweepService: SubtypeConstructor<typeof grpc.Client, _lrsweep_v1_SweepServiceClient> & { service: _lrsweep_v1_SweepServiceDefinition }
      SweepSpec: MessageTypeDefinition<_lrsweep_v1_SweepSpec, _lrsweep_v1_SweepSpec__Output>
      SweepState: EnumTypeDefinition
      SweepSummary: MessageTypeDefinition<_lrsweep_v1_SweepSummary, _lrsweep_v1_SweepSummary__Output>
      Trial: MessageTypeDefinition<_lrsweep_v1_Trial, _lrsweep_v1_Trial__Output>
      TrialState: EnumTypeDefinition
      WarmRestartsSpec: MessageTypeDefinition<_lrsweep_v1_WarmRestartsSpec, _lrsweep_v1_WarmRestartsSpec__Output>
      WatchSweepRequest: MessageTypeDefinition<_lrsweep_v1_WatchSweepRequest, _lrsweep_v1_WatchSweepRequest__Output>
      WatchSweepResponse: MessageTypeDefinition<_lrsweep_v1_WatchSweepResponse, _lrsweep_v1_WatchSweepResponse__Output>
    }
  }
}

