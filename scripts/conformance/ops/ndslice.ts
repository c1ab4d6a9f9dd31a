/**
 * Conformance handlers for the ndslice ops of the golden file (`slice.*`, `extent.*`, `point.*`,
 * `label.*`, `view.*`, `region.*`, `shape.*`, `range.*`); encodings in the file's `encoding` section.
 */
import { Extent, Point, Range, Region, Shape, Slice, fmtLabel, isSafeIdent } from '../../../src/ndslice/index.js';

type J = any;

const slice = (s: J): Slice => Slice.unchecked(s.offset, s.sizes, s.strides);
const extent = (e: J): Extent => Extent.new(e.labels, e.sizes);
const range = (r: J): Range => new Range(r.start, r.end ?? null, r.step);

/** `{labels, slice}` or `{extent, steps}` (ViewExt.range applied in order to the full extent). */
function region(r: J): Region {
  if (r.slice) return new Region(r.labels, slice(r.slice));
  return applySteps(Region.fromExtent(extent(r.extent)), r.steps ?? []);
}
function applySteps(base: Region, steps: J[]): Region {
  let out = base;
  for (const st of steps) out = out.range(st.dim, range(st.range));
  return out;
}
const pointJson = (p: Point) => ({ rank: p.rank, coords: p.coords() });

export const ops: Record<string, (input: J) => unknown> = {
  'slice.new': (i) => (Slice.new(i.offset, i.sizes, i.strides), { ok: true }),
  'slice.new_row_major': (i) => Slice.rowMajor(i.sizes).toJSON(),
  'slice.get': (i) => slice(i.slice).get(i.index),
  'slice.get_many': (i) => {
    const s = slice(i.slice);
    return (i.indices as number[]).map((x) => s.get(x));
  },
  'slice.location': (i) => slice(i.slice).location(i.coord),
  'slice.coordinates': (i) => slice(i.slice).coordinates(i.value),
  'slice.index': (i) => slice(i.slice).index(i.value),
  'slice.iter': (i) => slice(i.slice).iter(),
  'slice.dim_iter': (i) => slice(i.slice).dimIter(i.dims),
  'slice.at': (i) => slice(i.slice).at(i.dim, i.index).toJSON(),
  'slice.select': (i) => slice(i.slice).select(i.dim, i.begin, i.end, i.step).toJSON(),
  'slice.view': (i) => slice(i.slice).view(i.sizes).toJSON(),
  'slice.subview': (i) => slice(i.slice).subview(i.starts, i.lens).toJSON(),
  'slice.enforce_embedding': (i) => (slice(i.slice).enforceEmbedding(slice(i.base)), { ok: true }),
  'slice.is_contiguous': (i) => slice(i.slice).isContiguous(),
  'slice.contains': (i) => {
    const s = slice(i.slice);
    return (i.values as number[]).map((v) => s.contains(v));
  },

  'extent.point': (i) => pointJson(extent(i.extent).point(i.coords)),
  'extent.point_of_rank': (i) => pointJson(extent(i.extent).pointOfRank(i.rank)),
  'extent.num_ranks': (i) => extent(i.extent).numRanks,
  'extent.points': (i) => Array.from(extent(i.extent).points(), (p) => p.coords()),
  'extent.concat': (i) => extent(i.a).concat(extent(i.b)).toJSON(),
  'extent.display': (i) => extent(i.extent).toString(),
  'extent.lookup': (i) => {
    const e = extent(i.extent);
    return { position: e.position(i.label) ?? null, size: e.size(i.label) ?? null };
  },

  'point.display': (i) => extent(i.extent).point(i.coords).toString(),
  'point.format_as_dict': (i) => extent(i.extent).point(i.coords).formatAsDict(),
  'point.parse': (i) => {
    const p = Point.parse(i.text);
    return { extent: p.extent.toJSON(), coords: p.coords(), rank: p.rank };
  },
  'label.is_safe_ident': (i) => isSafeIdent(i.label),
  'label.fmt': (i) => fmtLabel(i.label),

  'view.range_chain': (i) => {
    const r = applySteps(region(i.base), i.steps);
    return { region: r.toJSON(), extent: r.extent().toJSON(), ranks: Array.from(r.baseRanks()) };
  },
  'view.iter': (i) => {
    const r = region(i.region);
    const e = r.extent();
    const ranks = r.baseRanks();
    return Array.from(e.points(), (p) => [p.coords(), ranks[p.rank]]);
  },
  'view.group_by': (i) =>
    region(i.region)
      .groupBy(i.dim)
      .map((g) => ({ extent: g.extent().toJSON(), ranks: Array.from(g.baseRanks()) })),

  'region.is_subset': (i) => region(i.a).isSubset(region(i.b)),
  'region.remap': (i) => {
    const m = region(i.parent).remap(region(i.target));
    return m ? Array.from(m) : null;
  },
  'region.base_rank_of_point': (i) => region(i.region).baseRankOfPoint(extent(i.point_extent).pointOfRank(i.rank)),
  'region.point_of_base_rank': (i) => pointJson(region(i.region).pointOfBaseRank(i.base_rank)),
  'region.display': (i) => region(i.region).toString(),
  'region.parse': (i) => Region.parse(i.text).toJSON(),
  'region.parse_range_display': (i) => applySteps(Region.parse(i.text), i.steps).toString(),

  'shape.select_chain': (i) => {
    let s = Shape.new(i.shape.labels, Slice.rowMajor(i.shape.sizes));
    for (const st of i.steps) s = s.select(st.dim, range(st.range));
    return { slice: s.slice.toJSON(), ranks: s.slice.iter() };
  },
  'shape.at': (i) => Shape.new(i.shape.labels, Slice.rowMajor(i.shape.sizes)).at(i.label, i.index).toJSON(),
  'shape.index': (i) => Shape.new(i.shape.labels, Slice.rowMajor(i.shape.sizes)).index(i.indices).toJSON(),
  'shape.coordinates': (i) => Shape.new(i.shape.labels, Slice.rowMajor(i.shape.sizes)).coordinates(i.rank),
  'shape.display': (i) => Shape.new(i.shape.labels, Slice.rowMajor(i.shape.sizes)).toString(),
  'shape.parse': (i) => Shape.parse(i.text).toJSON(),
  'shape.select_iter': (i) =>
    Shape.new(i.shape.labels, Slice.rowMajor(i.shape.sizes))
      .selectIter(i.dims)
      .map((s) => s.slice.toJSON()),

  'range.resolve': (i) => range(i.range).resolve(i.size),
  'range.display': (i) => range(i.range).toString(),
};
