/**
 * Slicing a region and reading a status mesh: the hot-path building blocks on their own.
 * Run: `npx tsx examples/slicing.ts`
 */
import { Extent, Region, Selection, parseSelection, Status } from 'actormesh';
import { compact } from 'actormesh/selection';
import { StatusAccumState, StatusOverlay, RankedValues, waitRankStatus, statusesToRankedValues } from 'actormesh/valuemesh';

// An extent is an ordered list of (label, size) pairs.
const extent = Extent.of([
  ['hosts', 4],
  ['gpus', 8],
]);
const mesh = Region.fromExtent(extent);
console.log(`mesh region       ${mesh}  (${mesh.numRanks} ranks)`);

// Slice it: hosts 1..3, every other gpu. Base ranks come out of one WASM call.
const slice = mesh.range('hosts', [1, 3]).range('gpus', [0, null, 2]);
console.log(`sliced region     ${slice}`);
console.log(`base ranks        ${[...slice.baseRanks()].join(' ')}`);
console.log(`remapped          ${[...mesh.remap(slice)!].join(' ')}  (ranks of the slice in the parent)`);
console.log(`parsed back       ${Region.parse(slice.toString()).equals(slice)}`);

// A selection over the same slice, evaluated to base ranks.
const sel = Selection.range([0, 2], Selection.range([0, null, 4]));
console.log(`selection         ${compact(sel)} -> ${sel.eval(mesh.slice).join(' ')}`);
console.log(`parsed selection  ${compact(parseSelection('0:2,0::4'))}`);

// Reduce single-rank status replies into a status mesh, as a spawn does.
const region = Region.fromExtent(
  Extent.of([
    ['hosts', 2],
    ['gpus', 4],
  ]),
);
const state = new StatusAccumState(region);
async function* replies() {
  for (let rank = 0; rank < region.numRanks; rank++) {
    if (rank === 6) continue; // this rank never answers
    const status = rank === 5 ? Status.failed('test failure') : Status.Running;
    state.apply(StatusOverlay.single(rank, status));
    yield state;
  }
}
const result = await waitRankStatus(replies(), region.numRanks, 100, region);
console.log(`wait              ok=${result.ok} reason=${result.reason} after ${result.updates} updates`);
console.log(`status mesh       ${result.statuses}`);
const legacy: RankedValues<Status> = statusesToRankedValues(result.snapshot, Status.timeout(result.elapsedMs), region.numRanks);
console.log(`as rank ranges    ${legacy}`);
state.dispose();
