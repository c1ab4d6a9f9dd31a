// ProcessAllocator's `output`, `configSnapshot` and `env` options, with real child processes. The
// children's output comes from a fixture module (a data: URL listed in AllocSpec.modules) that
// prints at import time, after the shipped config is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Extent } from '../../src/ndslice/index.js';
import { ConfigError, MESSAGE_TTL_DEFAULT, config, type ConfigSnapshot } from '../../src/core/config.js';
import { ProcessAllocator, ProcStopReason, initialize, type ProcessAllocatorOptions, type ProcState } from '../../src/mesh/alloc/index.js';
import { TestAgent } from './alloc/fixtures/agent.js';
import { within } from '../_support/within.js';
import { eventually } from '../_support/eventually.js';

const agentModule = new URL('./alloc/fixtures/agent.ts', import.meta.url).href;
const configModule = new URL('../../src/core/config.ts', import.meta.url).href;

/** A module printing `body` (JS, with `config`, `MESH_TAIL_LOG_LINES`, `MESSAGE_TTL_DEFAULT` and `i` = child index in scope). */
function fixture(body: string): string {
  const src = `import { config, MESH_TAIL_LOG_LINES, MESSAGE_TTL_DEFAULT } from ${JSON.stringify(configModule)};
const i = process.env.HYPERACTOR_MESH_INDEX;
${body}`;
  return `data:text/javascript;base64,${Buffer.from(src, 'utf8').toString('base64')}`;
}

type Received = Array<{ index: number; stream: 'stdout' | 'stderr'; lines: string[] }>;

function linesOf(got: Received, index: number, stream: 'stdout' | 'stderr'): string[] {
  return got.filter((b) => b.index === index && b.stream === stream).flatMap((b) => b.lines);
}

/** Runs `fn` with this process's stderr writes recorded (and still written). */
async function recordingStderr<T>(fn: (seen: () => string) => Promise<T>): Promise<T> {
  const original = process.stderr.write;
  let seen = '';
  process.stderr.write = function (this: typeof process.stderr, chunk: unknown, ...rest: unknown[]) {
    seen += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stderr.write;
  try {
    return await fn(() => seen);
  } finally {
    process.stderr.write = original;
  }
}

test('children output reaches `output` as lines by child index and stream; configSnapshot and env reach the children', async () => {
  const got: Received = [];
  const printer = fixture(`
process.stdout.write('out ' + i + ' a\\nout ' + i + ' b\\n');
process.stderr.write('err ' + i + ' x\\n');
process.stdout.write('tail=' + config.get(MESH_TAIL_LOG_LINES) + ' ttl=' + config.get(MESSAGE_TTL_DEFAULT) + ' env=' + process.env.ACTORMESH_TEST_EXTRA + '\\n');
process.stdout.write('no newline ' + i);
`);
  const opts: ProcessAllocatorOptions = {
    output: (index, stream, lines) => got.push({ index, stream, lines }),
    // By env var name; MESH_TAIL_LOG_LINES is 0 in this process.
    configSnapshot: { HYPERACTOR_MESH_TAIL_LOG_LINES: '7' },
    env: { ACTORMESH_TEST_EXTRA: 'extra-env' },
  };
  assert.equal(config.get(MESSAGE_TTL_DEFAULT), 64);
  const ttl = config.override(MESSAGE_TTL_DEFAULT, 17); // this process's effective config is the base
  const alloc = await new ProcessAllocator(opts)
    .allocate({ extent: Extent.from({ replica: 2 }), transport: 'unix', agentType: TestAgent.typeName, modules: [agentModule, printer] })
    .finally(() => ttl.restore());
  await recordingStderr(async (seen) => {
    try {
      const procs = await within(initialize(alloc), 30_000, 'initialize');
      assert.equal(procs.length, 2);
      await eventually(() => [0, 1].every((i) => linesOf(got, i, 'stdout').length >= 3 && linesOf(got, i, 'stderr').length >= 1), 'children output');
    } finally {
      await within(alloc.stopAndWait(), 30_000, 'stopAndWait');
    }
    for (const i of [0, 1]) {
      assert.deepEqual(linesOf(got, i, 'stdout'), [`out ${i} a`, `out ${i} b`, 'tail=7 ttl=17 env=extra-env', `no newline ${i}`]);
      assert.deepEqual(linesOf(got, i, 'stderr'), [`err ${i} x`]);
    }
    assert.ok(
      got.every((b) => b.lines.length > 0),
      'no empty batches',
    );
    assert.doesNotMatch(seen(), /err [01] x/, "children's stderr is not copied to this process's stderr when output is set");
  });
});

test('with output set, stderr lines still make the Exited reason, and reach output too', async () => {
  const got: Received = [];
  const dying = fixture(`
process.stderr.write('first line\\nfatal: disk on fire');
process.exit(3);
`);
  const alloc = await new ProcessAllocator({ output: (index, stream, lines) => got.push({ index, stream, lines }) }).allocate({
    extent: Extent.from({ replica: 1 }),
    transport: 'unix',
    agentType: TestAgent.typeName,
    modules: [agentModule, dying],
  });
  let stopped: ProcState | undefined;
  try {
    for (;;) {
      const e = await within(alloc.next(), 30_000, 'Stopped');
      assert.ok(e !== null);
      if (e.kind === 'Stopped') {
        stopped = e;
        break;
      }
    }
  } finally {
    await within(alloc.stopAndWait(), 30_000, 'stopAndWait');
  }
  assert.ok(stopped?.kind === 'Stopped');
  assert.equal(stopped.reason.kind, 'Exited');
  if (stopped.reason.kind === 'Exited') {
    assert.equal(stopped.reason.code, 3);
    assert.deepEqual(stopped.reason.stderrTail.slice(-2), ['first line', 'fatal: disk on fire']);
  }
  assert.match(ProcStopReason.format(stopped.reason), /fatal: disk on fire/);
  assert.deepEqual(linesOf(got, 0, 'stderr'), ['first line', 'fatal: disk on fire'], 'the last partial line is delivered before Stopped');
});

test('a configSnapshot with an unknown key or a bad value makes allocate reject with ConfigError', async () => {
  for (const configSnapshot of [{ NO_SUCH_KEY: '1' }, { MESH_TAIL_LOG_LINES: 'many' }] as ConfigSnapshot[]) {
    await assert.rejects(
      new ProcessAllocator({ configSnapshot }).allocate({ extent: Extent.from({ replica: 1 }), transport: 'unix' }),
      (e: unknown) => e instanceof ConfigError,
    );
  }
});
