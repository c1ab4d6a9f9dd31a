// Comedy actor of the peers suite (a module-defined actor: Comedy requires this file in the
// process that runs the actor). Topics: `add` answers x + 1, `tell` counts 64-char strings,
// `count` answers that count.
class PeersAdder {
  constructor() {
    this.received = 0;
  }
  add(x) {
    return x + 1;
  }
  tell(p) {
    if (typeof p === 'string' && p.length === 64) this.received++;
  }
  count() {
    return this.received;
  }
}
module.exports = PeersAdder;
