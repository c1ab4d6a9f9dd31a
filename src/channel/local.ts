/**
 * The `local:N` transport (Monarch hyperactor/src/channel/local.rs `serve`, `dial`): an in-process registry of receive queues. No
 * sessions or acks: a post is enqueued synchronously, so per-Tx order is the call order.
 * A Tx turns Closed when its Rx closes; later messages are returned as `Closed`.
 */
import type { ChannelAddr } from './addr.js';
import { formatAddr } from './addr.js';
import { ChannelError } from './errors.js';
import { QueuedRx, RxQueue } from './queue.js';
import type { ReturnHandler, Rx, Tx, TxStatus } from './types.js';

const registry = new Map<number, LocalRx>();
let nextIndex = 1;

export class LocalRx extends QueuedRx implements Rx {
  readonly queue: RxQueue;
  readonly txs = new Set<LocalTx>();
  constructor(readonly addr: ChannelAddr) {
    super();
    this.queue = new RxQueue(addr, Number.MAX_SAFE_INTEGER);
  }
  async close(): Promise<void> {
    if (this.addr.transport === 'local') registry.delete(this.addr.index);
    this.queue.close();
    for (const tx of this.txs) tx.closeFromRx();
  }
}

export function serveLocal(addr: ChannelAddr & { transport: 'local' }): LocalRx {
  let index = addr.index;
  if (index === 0) {
    while (registry.has(nextIndex)) nextIndex++;
    index = nextIndex++;
  } else if (registry.has(index)) {
    throw new ChannelError('Server', `local channel ${index} is already served`, formatAddr(addr));
  }
  const rx = new LocalRx({ transport: 'local', index });
  registry.set(index, rx);
  return rx;
}

export function dialLocal(addr: ChannelAddr & { transport: 'local' }): LocalTx {
  const rx = registry.get(addr.index);
  if (!rx) throw new ChannelError('Client', `no local channel is served at ${formatAddr(addr)}`, formatAddr(addr));
  const tx = new LocalTx(addr, rx);
  rx.txs.add(tx);
  return tx;
}

export class LocalTx implements Tx {
  private _status: TxStatus = 'Active';
  private waiters: Array<(e: ChannelError | undefined) => void> = [];
  private reason: ChannelError | undefined;
  constructor(
    readonly addr: ChannelAddr,
    private readonly rx: LocalRx,
  ) {}

  get status(): TxStatus {
    return this._status;
  }
  get buffered(): { messages: number; bytes: number } {
    return { messages: 0, bytes: 0 };
  }
  private closedError(): ChannelError {
    return this.reason ?? new ChannelError('Closed', `local channel ${formatAddr(this.addr)} is closed`, formatAddr(this.addr));
  }
  post(message: Uint8Array): boolean {
    if (this._status === 'Active') this.rx.queue.push(message);
    return this._status === 'Active';
  }
  tryPost(message: Uint8Array, onReturn: ReturnHandler): boolean {
    if (this._status === 'Active') {
      this.rx.queue.push(message);
      return true;
    }
    const err = this.closedError();
    queueMicrotask(() => onReturn(message, err));
    return false;
  }
  send(message: Uint8Array): Promise<void> {
    if (this._status !== 'Active') return Promise.reject(this.closedError());
    this.rx.queue.push(message);
    return Promise.resolve();
  }
  whenClosed(): Promise<ChannelError | undefined> {
    if (this._status === 'Closed') return Promise.resolve(this.reason);
    return new Promise((r) => this.waiters.push(r));
  }
  whenWritable(): Promise<void> {
    return Promise.resolve();
  }
  closeFromRx(): void {
    if (this._status === 'Closed') return;
    this.reason = new ChannelError('Closed', `local channel ${formatAddr(this.addr)} was closed by its receiver`, formatAddr(this.addr));
    this.finish();
  }
  private finish(): void {
    this._status = 'Closed';
    this.rx.txs.delete(this);
    for (const w of this.waiters) w(this.reason);
    this.waiters = [];
  }
  async close(): Promise<void> {
    if (this._status === 'Closed') return;
    this.finish();
  }
  /** Local messages are enqueued at once, so nothing is pending: the same as `close`. */
  abort(): void {
    if (this._status === 'Closed') return;
    this.finish();
  }
}
