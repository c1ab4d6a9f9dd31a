// Comedy actor that hosts `perProc` in-memory PeersAdder children in one forked process (the
// fanout workload's 16 actors per process). Comedy 2 lets only an actor create children of its
// own, and a parent addresses its children, so the client's call {a, x} goes to this actor,
// which forwards it to child `a` and returns that child's reply.
const PeersAdder = require('./comedy-adder.cjs');

class PeersHost {
  async initialize(selfActor) {
    const { perProc } = selfActor.getCustomParameters();
    this.kids = await Promise.all(Array.from({ length: perProc }, () => selfActor.createChild(PeersAdder, { mode: 'in-memory' })));
  }
  call(m) {
    return this.kids[m.a].sendAndReceive('add', m.x);
  }
}
module.exports = PeersHost;
