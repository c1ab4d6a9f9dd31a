/**
 * Local sending sides of ports opened by a context: `PortHandle` (ephemeral FIFO or accumulating
 * port) and `OncePortHandle`. Local sends skip serialization; `bind()` gives the serializable ref.
 */
import type { LocalOncePort, LocalPort } from '../mailbox/mailbox.js';
import type { ReducerOpts } from '../mailbox/accum.js';
import { OncePortRef, PortRef } from './refs.js';

/** Local sending side of an ephemeral port; `bind()` gives the serializable ref. */
export class PortHandle<T> {
  readonly local: LocalPort<T>;
  readonly typeName: string;
  constructor(local: LocalPort<T>, typeName: string) {
    this.local = local;
    this.typeName = typeName;
  }
  get portId() {
    return this.local.portId;
  }
  /** Sends without serialization. */
  send(msg: T): void {
    this.local.sendLocal(msg);
  }
  /**
   * A local sender of `R` whose messages are mapped by `f` into this port (Monarch's
   * `contramap`). Local only: it has no ref of its own (remote senders use `bind()`, which takes T).
   */
  contramap<R>(f: (r: R) => T): LocalPort<R> {
    return this.local.contramap(f);
  }
  /** The serializable reference to this port (carries the reducer spec and options, if any). */
  bind(): PortRef<T> {
    const l = this.local as LocalPort<T> & { reducerSpec?: PortRef<T>['reducerSpec']; reducerOpts?: ReducerOpts };
    return new PortRef<T>(l.portId, this.typeName, { reducerSpec: l.reducerSpec, reducerOpts: l.reducerOpts });
  }
}

/** Local sending side of a once port. */
export class OncePortHandle<T> {
  readonly local: LocalOncePort<T>;
  readonly typeName: string;
  constructor(local: LocalOncePort<T>, typeName: string) {
    this.local = local;
    this.typeName = typeName;
  }
  send(msg: T): void {
    this.local.sendLocal(msg);
  }
  bind(): OncePortRef<T> {
    return new OncePortRef<T>(this.local.portId, this.typeName);
  }
}
