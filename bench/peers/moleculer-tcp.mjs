// Moleculer's TCP transporter pinned to loopback for the peers suite: no UDP discovery (nodes
// come from a static `urls` list of 127.0.0.1 addresses and from the gossip of connected
// nodes), and every outgoing connection goes to 127.0.0.1, whatever hostname or interface
// address a node advertises. All nodes of the benchmark run on this machine.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { ServiceBroker, Transporters } = require('moleculer');

export const MOLECULER_VERSION = ServiceBroker.MOLECULER_VERSION;

class LoopbackTcp extends Transporters.TCP {
  getNodeAddress() {
    return '127.0.0.1';
  }
}

/** A broker on the loopback TCP transporter; `urls`: known nodes as `127.0.0.1:port/nodeID`. */
export function loopbackBroker(nodeID, urls, extra = {}) {
  return new ServiceBroker({
    nodeID,
    transporter: new LoopbackTcp({ udpDiscovery: false, urls, gossipPeriod: 1 }),
    logger: false,
    ...extra,
  });
}

/** The TCP port a started broker listens on (its address for the others' `urls`). */
export function brokerPort(broker) {
  return broker.transit.tx.opts.port;
}
