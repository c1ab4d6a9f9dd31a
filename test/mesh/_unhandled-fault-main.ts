// Child script for supervision-unhandled.test.ts: a client with no supervision handler whose mesh
// member fails; the default unhandled-fault hook must exit the process with a clear message.
import { thisHost } from '../../src/index.js';
import { TestActor } from './_cast-fixture.js';

const procs = await thisHost().spawnProcs({ gpus: 2 }, { alloc: 'local' });
const mesh = await procs.spawn('doomed', TestActor, { tag: 'x' }, { monitorIntervalMs: 100 });
mesh.slice({ gpus: 1 }).boom.broadcast('disk on fire');
await new Promise((r) => setTimeout(r, 10_000));
console.log('still alive: the unhandled fault hook did not exit');
