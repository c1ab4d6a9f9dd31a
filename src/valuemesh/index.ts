/**
 * Value meshes, overlays, statuses and status reduction (Monarch hyperactor_mesh/src/v1/value_mesh.rs, hyperactor_mesh/src/resource.rs).
 * Public barrel of src/valuemesh (the plain-TS kernel reference stays internal).
 */
export { ValueMesh, type MeshRep, type ValueMeshJson } from './value-mesh.js';
export { ValueOverlay, reduceOverlays, valueOverlayReducer } from './value-overlay.js';
export { rleFromDense, rleFromValueRuns, mergeValueRuns, type ValueRun, type IdRun, type Rle } from './rle.js';
export { valueEquals, type Same } from './value-eq.js';
export { Status, StatusCode, formatDurationDebug, durationFromMs, durationToMs, type Duration, type StatusKind, type StatusJson } from './status.js';
export { StatusMesh, StatusOverlay, StatusTable, reduceStatusOverlays, statusOverlayReducer, type StatusSnapshot } from './status-mesh.js';
export {
  sumReducer,
  maxReducer,
  minReducer,
  sumStateAccumulator,
  maxStateAccumulator,
  minStateAccumulator,
  watermarkReducer,
  lowWatermarkAccumulator,
  WatermarkUpdate,
  ValueMeshAccumulator,
  StatusMeshAccumulator,
  StatusAccumState,
  type StateAccumulator,
  type CommReducer,
} from './accumulator.js';
export { waitRankStatus, WaitLoop, fillNotExist, InvalidWaitArgument, type WaitResult, type WaitSource, type SnapshotReceiver } from './wait.js';
export { RankedValues, meshToRankedValuesWithDefault, statusesToRankedValues } from './ranked-values.js';
export {
  InvalidRankCardinality,
  OutOfBounds,
  OverlayEmptyRange,
  OverlappingRanges,
  InvalidRankValue,
  InvalidStatus,
  IncompleteRankedValues,
  StateDisposed,
  ReducerOperandMismatch,
  MeshError,
  BuildError,
  ValueMeshError,
  type MeshErrorVariant,
  type BuildErrorVariant,
  type ValueMeshErrorVariant,
  type RankRange,
} from './errors.js';
export { rleMemoryStats } from './kernels.js';
