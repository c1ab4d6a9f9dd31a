/**
 * Conformance handlers for the `selection.*`, `routing.*` and `reshape.*` ops of hotpath.json
 * (inputs/outputs documented in its `ops` table; selections as tagged arrays).
 */
import { Slice } from '../../../src/ndslice/slice.js';
import {
  Selection,
  EvalOptions,
  RoutingFrame,
  compact,
  compileRoute,
  dedupedNextSteps,
  difference,
  expandLabels,
  factorDims,
  normalize,
  ofRanks,
  parseSelection,
  reifyNormalized,
  reifySlice,
  reifySlices,
  reshapeWithLimit,
  SelectionNotImplemented,
  WasmRouter,
} from '../../../src/selection/index.js';

type Input = Record<string, any>;

const slice = (j: { offset: number; sizes: number[]; strides: number[] }) => Slice.new(j.offset, j.sizes, j.strides);
const sel = (j: unknown) => Selection.fromJSON(j);
const opts = (o: unknown) => (o === 'strict' ? EvalOptions.strict() : EvalOptions.lenient());

export const ops: Record<string, (input: Input) => unknown> = {
  'selection.eval': (i) => sel(i.selection).eval(slice(i.slice), opts(i.opts)),
  'selection.validate_message': (i) => {
    try {
      sel(i.selection).eval(slice(i.slice));
    } catch (e) {
      return (e as Error).message;
    }
    return null;
  },
  'selection.contains': (i) => {
    try {
      return sel(i.selection).contains(i.coords);
    } catch (e) {
      if (e instanceof SelectionNotImplemented) return 'panic';
      throw e;
    }
  },
  'selection.of_ranks': (i) => ofRanks(slice(i.slice), i.ranks).toJSON(),
  'selection.reify_slice': (i) => reifySlice(slice(i.base), slice(i.slice)).toJSON(),
  'selection.reify_slices': (i) => reifySlices(slice(i.base), (i.slices as any[]).map(slice)).toJSON(),
  'selection.difference': (i) => difference(sel(i.selection), slice(i.slice), i.exclusions),
  'selection.canonicalize': (i) => sel(i.selection).canonicalizeToDimensions(i.num_dims).toJSON(),
  'selection.is_equivalent_true': (i) => sel(i.selection).isEquivalentToTrue(),
  'selection.normalize': (i) => reifyNormalized(normalize(sel(i.selection))).toJSON(),
  'selection.parse': (i) => parseSelection(i.text).toJSON(),
  'selection.display': (i) => sel(i.selection).toString(),
  'selection.compact': (i) => compact(sel(i.selection)),

  'routing.bfs': (i) => {
    const queue = [RoutingFrame.root(sel(i.selection), slice(i.slice))];
    const out: unknown[] = [];
    for (let h = 0; h < queue.length; h++) {
      const f = queue[h]!;
      const deliver = f.deliverHere();
      const next = deliver ? [] : f.nextSteps();
      out.push({ here: f.here, dim: f.dim, deliver, next: next.map((n) => n.here) });
      queue.push(...next);
    }
    return out;
  },
  'routing.root_steps': (i) =>
    RoutingFrame.root(sel(i.selection), slice(i.slice))
      .nextSteps()
      .map((f) => ({ here: f.here, deliver: f.deliverHere(), location: f.location() })),
  'routing.commactor_delivered': (i) => {
    const r = new WasmRouter(compileRoute(slice(i.slice), sel(i.selection))).routeAll();
    return Array.from(r.delivered).sort((a, b) => a - b);
  },
  'routing.dedup_counts': (i) => {
    const delivered: number[] = [];
    const go = (f: RoutingFrame): void => {
      if (f.deliverHere()) delivered.push(f.location());
      else for (const n of dedupedNextSteps(f)) go(n);
    };
    go(RoutingFrame.root(sel(i.selection), slice(i.slice)));
    return delivered.sort((a, b) => a - b);
  },

  'reshape.factor_dims': (i) => factorDims(i.sizes, i.limit),
  'reshape.reshape_with_limit': (i) => reshapeWithLimit(slice(i.slice), i.limit).toJSON(),
  'reshape.expand_labels': (i) => expandLabels(i.factors),
};
