/**
 * ndslice: slices, extents, points, regions, shapes, ranges, views and their text formats
 * (Monarch ndslice/src/{slice.rs, view.rs, shape.rs}), with the bulk slice operations in WebAssembly.
 */
export { Range, RangeInvalidStep } from './range.js';
export { Slice, type SliceLike } from './slice.js';
export { Extent } from './extent.js';
export { Point } from './point.js';
export { Region } from './region.js';
export { Shape } from './shape.js';
export { type View, type SubsettableView, checkSubset, rangeRegion, groupByRegions, rangeView, groupByView, viewIter, viewValues } from './view.js';
export { isSafeIdent, fmtLabel, debugString } from './format.js';
export { sliceKernels, checkKernelSlice, BufferTooSmall, type SliceKernels } from './kernels.js';
export * from './errors.js';
