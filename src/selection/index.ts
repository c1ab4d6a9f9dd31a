/**
 * Selections, comm-tree routing and reshape (Monarch ndslice/src/selection.rs, selection/routing.rs, reshape.rs). See the module comments of
 * each file for invariants.
 */
export {
  Selection,
  EvalOptions,
  AllSel,
  AnySel,
  FalseSel,
  FirstSel,
  IntersectionSel,
  RangeSel,
  TrueSel,
  UnionSel,
  pretty,
  structurallyEqual,
  validateSelection,
  embed0d,
} from './selection.js';
export type { SelectionKind, SelectionJSON } from './selection.js';
export { normalize, reifyNormalized, normalizedKey, selectionKey, compareNormalized } from './normalize.js';
export type { NormalizedSelection } from './normalize.js';
export { parseSelection, compact } from './parse.js';
export { ofRanks, unionOf, reifySlice, reifySlices, difference, without, selectionFrom, selectionFromOne, selectionOnRoot } from './reify.js';
export { RoutingFrame, resolveRouting, dedupedNextSteps, commTreeParent, simulateCast, traceRoute } from './routing.js';
export type { RoutingFrameJSON, RoutingResolution, SimulatedCast } from './routing.js';
export { compileRoute, decodeRouteProgram } from './program.js';
export type { RouteProgram, CastRouting, PackedHop } from './program.js';
export { WasmRouter } from './kernels.js';
export { factorSize, factorDims, reshapeWithLimit, expandLabels, reshapeShapeWithLimit, reshapeSelection } from './reshape.js';
export {
  SelectionTooDeep,
  SelectionEmptyRange,
  SelectionDynamic,
  NonContiguous,
  SelectionParseError,
  SelectionNotImplemented,
  InvalidFrame,
  InvalidSelection,
  SelectionError,
  type SelectionErrorVariant,
} from './errors.js';
