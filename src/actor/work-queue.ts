/**
 * An actor's work queue: FIFO of (message, headers) pairs.
 *
 * Invariants: entries come out in the order they went in; the queue is a linked list of
 * fixed-size chunks (pairs stored side by side), so it never copies entries or allocates a large
 * array however long a flood gets, and an actor alternating between empty and one message
 * allocates nothing (the cursors are rewound when it empties; one spare chunk is kept).
 */
import type { Headers } from '../mailbox/envelope.js';

/** Entries per chunk. */
const CHUNK = 256;

class Chunk {
  /** msg at 2i, headers at 2i + 1. */
  readonly slots: unknown[] = new Array<unknown>(2 * CHUNK).fill(undefined);
  next: Chunk | undefined = undefined;
}

export class WorkQueue {
  private head: Chunk;
  private tail: Chunk;
  /** Next slot to read in `head` / write in `tail` (even: pairs). */
  private hi = 0;
  private ti = 0;
  private spare: Chunk | undefined;
  /** Number of queued entries. */
  length = 0;
  /** Headers of the entry last returned by `shift`. */
  lastHeaders: Headers | undefined;

  constructor() {
    this.head = this.tail = new Chunk();
  }

  push(msg: unknown, headers: Headers): void {
    let t = this.tail;
    let i = this.ti;
    if (i === 2 * CHUNK) {
      const c = this.spare ?? new Chunk();
      this.spare = undefined;
      t.next = c;
      this.tail = t = c;
      i = 0;
    }
    const s = t.slots;
    s[i] = msg;
    s[i + 1] = headers;
    this.ti = i + 2;
    this.length++;
  }

  /** Removes and returns the oldest message (its headers go to `lastHeaders`); queue must be non-empty. */
  shift(): unknown {
    let h = this.head;
    let i = this.hi;
    if (i === 2 * CHUNK) {
      const done = h;
      this.head = h = h.next!;
      done.next = undefined;
      this.spare = done;
      i = 0;
    }
    const s = h.slots;
    const msg = s[i];
    this.lastHeaders = s[i + 1] as Headers;
    s[i] = undefined;
    s[i + 1] = undefined;
    if (--this.length === 0) {
      // Empty: head and tail are the same chunk; rewind.
      this.hi = this.ti = 0;
    } else this.hi = i + 2;
    return msg;
  }

  /** Drops every entry (and the chunks beyond the first). */
  clear(): void {
    this.head = this.tail = new Chunk();
    this.hi = this.ti = 0;
    this.spare = undefined;
    this.length = 0;
    this.lastHeaders = undefined;
  }
}
