// Endpoint-test helper (not a test file): spawns an `EndpointProbe` mesh on child procs in either
// cast mode, so the same checks run point to point and through the comm tree.
import assert from 'node:assert/strict';
import type { ActorMeshOf, ProcMesh, SpawnOptions } from '../../src/index.js';
import { CAST_POINT_TO_POINT_THRESHOLD, config } from '../../src/core/config.js';
import { EndpointProbe } from './fixtures/endpoint-actors.js';

export type CastMode = 'p2p' | 'tree';
export const CAST_MODES: readonly CastMode[] = ['p2p', 'tree'];

/**
 * An `EndpointProbe` mesh cast to point to point (`p2p`: the default for meshes up to
 * `CAST_POINT_TO_POINT_THRESHOLD` members) or through the comm tree (`tree`: spawned and first
 * cast to while the threshold is 0, as a mesh above it would be; the mode is fixed per mesh).
 * Checks that the members really see the mode asked for.
 */
export async function spawnProbe(procs: ProcMesh, name: string, mode: CastMode, opts: SpawnOptions = {}): Promise<ActorMeshOf<EndpointProbe>> {
  const threshold = mode === 'tree' ? config.override(CAST_POINT_TO_POINT_THRESHOLD, 0) : undefined;
  try {
    const mesh = await procs.spawn(name, EndpointProbe, {}, { monitorIntervalMs: 0, ...opts });
    const seen = (await mesh.info.call()).values();
    assert.ok(
      seen.every((s) => s.viaHeaders === (mode === 'tree')),
      `${mesh.name} should cast ${mode === 'tree' ? 'through the comm tree' : 'point to point'}`,
    );
    return mesh;
  } finally {
    threshold?.restore();
  }
}
