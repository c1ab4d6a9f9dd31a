// Worker of the fork-ipc baseline: `perProc` plain-object "actors" (argv[2]) in one forked
// process, driven over the Node IPC channel. Requests are {id, a, op, x}: `add` answers
// {id, v: x + 1}, `count` answers {id, v: received tells}; {a, op: 'tell', p} has no reply.
const perProc = Number(process.argv[2] ?? 1);
const actors = Array.from({ length: perProc }, () => ({ received: 0 }));

process.on('message', (m) => {
  const actor = actors[m.a];
  switch (m.op) {
    case 'add':
      process.send({ id: m.id, v: m.x + 1 });
      break;
    case 'tell':
      if (typeof m.p === 'string' && m.p.length === 64) actor.received++;
      break;
    case 'count':
      process.send({ id: m.id, v: actor.received });
      break;
  }
});
// The parent closing the channel (stop, or the parent died) ends this process.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
