/**
 * Plugs the value-mesh status reduction (src/valuemesh) into the mailbox reducer registry and
 * accumulating ports: reducer `statusOverlay` (right-wins merge of two StatusOverlays, used by
 * split ports on cast replies) and `statusAccumulator(region)` (state = the status accumulation
 * with an incremental NotExist count; updates = overlays).
 *
 * The receiver of a status port gets the live accumulation state (coalescing: only the newest),
 * not a clone per update; read it with `isComplete()`, `countNotExist()`, `snapshot()`, or hand
 * the receiver to `waitRankStatus`.
 */
import type { Region } from '../ndslice/index.js';
import { StatusOverlay, StatusMeshAccumulator, StatusAccumState, statusOverlayReducer, type ValueOverlay, type Status } from '../valuemesh/index.js';
import { isRegisteredTag, registerCodecClass } from '../core/codec.js';
import { type Accumulator, registerReducer } from './accum.js';

export const STATUS_OVERLAY_REDUCER = 'statusOverlay';

registerReducer<StatusOverlay>(STATUS_OVERLAY_REDUCER, () => statusOverlayReducer);

// Status overlays travel inside envelopes (replies of agents); make sure the codec revives them.
const STATUS_OVERLAY_TAG = 'valuemesh.StatusOverlay';
if (!isRegisteredTag(STATUS_OVERLAY_TAG)) {
  registerCodecClass<StatusOverlay>({
    tag: STATUS_OVERLAY_TAG,
    Class: StatusOverlay,
    toValue: (o) => o.toJSON(),
    fromValue: (v) => StatusOverlay.fromJSON(v),
  });
}

/** The status accumulator over `region` (all NotExist initially), with the `statusOverlay` reducer. */
export function statusAccumulator(region: Region): Accumulator<StatusAccumState, StatusOverlay | ValueOverlay<Status>> {
  const inner = new StatusMeshAccumulator(region);
  return {
    reducerSpec: { name: STATUS_OVERLAY_REDUCER },
    init: () => inner.init(),
    accumulate: (s, u) => inner.accumulate(s, u),
    snapshot: (s) => s,
  };
}
