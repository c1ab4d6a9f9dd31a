/**
 * Channel frames (schema `envelope.fbs`, table `Frame`): encode with one reused FlatBuffers
 * Builder, decode with a bounds-checking reader.
 *
 * Invariants enforced here:
 * - `decodeFrame` never trusts an offset: every table, vtable, vector and string is checked
 *   against the buffer before it is read, so random bytes and truncated frames give a
 *   `FrameError`, never a RangeError or garbage; a Messages frame's `ends` are non-decreasing and
 *   end exactly at `data.length`; sequence numbers are safe integers.
 * - An encoder's output is a view into its Builder: valid until the next call on that encoder
 *   (callers hand it to a socket, which copies, before encoding again).
 * - Messages of a batch are copied into the frame in bulk (one `set` per message, no per-byte loop).
 */
import * as flatbuffers from 'flatbuffers';
import { Frame } from './generated/actormesh/wire/frame.js';
import { FrameKind } from './generated/actormesh/wire/frame-kind.js';
import { FrameError } from '../channel/errors.js';
import { TableReader } from './reader.js';

export { FrameKind };

export type DecodedFrame =
  | { kind: FrameKind.Init; session: bigint }
  | { kind: FrameKind.Messages; seq: number; messages: Uint8Array[]; bytes: number }
  | { kind: FrameKind.Ack; seq: number }
  | { kind: FrameKind.Reject; reason: string };

/** The Builder's private cursor, used to copy message bytes straight into a vector. */
interface BuilderInternals {
  space: number;
  bb: flatbuffers.ByteBuffer;
}


/** Encodes frames into one reused Builder. */
export class FrameEncoder {
  private readonly b: flatbuffers.Builder;
  constructor(initialSize = 64 * 1024) {
    this.b = new flatbuffers.Builder(initialSize);
  }

  init(session: bigint): Uint8Array {
    const b = this.b;
    b.clear();
    Frame.startFrame(b);
    Frame.addKind(b, FrameKind.Init);
    Frame.addSession(b, session);
    b.finish(Frame.endFrame(b));
    return b.asUint8Array();
  }

  ack(seq: number): Uint8Array {
    const b = this.b;
    b.clear();
    Frame.startFrame(b);
    Frame.addKind(b, FrameKind.Ack);
    Frame.addSeq(b, BigInt(seq));
    b.finish(Frame.endFrame(b));
    return b.asUint8Array();
  }

  reject(reason: string): Uint8Array {
    const b = this.b;
    b.clear();
    const r = b.createString(reason);
    Frame.startFrame(b);
    Frame.addKind(b, FrameKind.Reject);
    Frame.addReason(b, r);
    b.finish(Frame.endFrame(b));
    return b.asUint8Array();
  }

  /**
   * A Messages frame holding `msgs[from..to)` whose total length is `total` bytes; the first has
   * sequence number `firstSeq`.
   */
  messages(firstSeq: number, msgs: readonly Uint8Array[], from: number, to: number, total: number): Uint8Array {
    const b = this.b;
    b.clear();
    const n = to - from;
    // data: one vector, filled back to front (the Builder grows downwards).
    b.startVector(1, total, 1);
    const bi = b as unknown as BuilderInternals;
    bi.space -= total;
    const bytes = bi.bb.bytes();
    let pos = bi.space;
    for (let i = from; i < to; i++) {
      const m = msgs[i]!;
      bytes.set(m, pos);
      pos += m.length;
    }
    bi.bb.setPosition(bi.space);
    const data = b.endVector();
    b.startVector(4, n, 4);
    let end = total;
    for (let i = to - 1; i >= from; i--) {
      b.addInt32(end);
      end -= msgs[i]!.length;
    }
    const ends = b.endVector();
    Frame.startFrame(b);
    Frame.addSeq(b, BigInt(firstSeq));
    Frame.addEnds(b, ends);
    Frame.addData(b, data);
    Frame.addKind(b, FrameKind.Messages);
    b.finish(Frame.endFrame(b));
    return b.asUint8Array();
  }
}

/**
 * Decodes one frame. Message views alias `buf` (no copy): the caller must own `buf`.
 * Throws `FrameError` on anything malformed.
 */
export function decodeFrame(buf: Uint8Array): DecodedFrame {
  const t = TableReader.root(buf, 'frame');
  const kind = t.u8(0, FrameKind.Init);
  switch (kind) {
    case FrameKind.Init:
      return { kind, session: t.u64(1) };
    case FrameKind.Ack:
      return { kind, seq: t.safeU64(2, 'ack seq') };
    case FrameKind.Reject:
      return { kind, reason: t.string(5) ?? '' };
    case FrameKind.Messages: {
      const seq = t.safeU64(2, 'message seq');
      const ends = t.vector(3, 4);
      const data = t.vector(4, 1);
      const n = ends ? ends[1] : 0;
      const dataLen = data ? data[1] : 0;
      if (n === 0) throw new FrameError('Messages frame carries no messages');
      const base = data ? data[0] : 0;
      const messages = new Array<Uint8Array>(n);
      const dv = t.dv;
      let prev = 0;
      for (let k = 0, p = ends![0]; k < n; k++, p += 4) {
        const end = dv.getUint32(p, true);
        if (end < prev || end > dataLen) throw new FrameError(`message ${k} ends at ${end}, outside ${prev}..${dataLen}`);
        messages[k] = buf.subarray(base + prev, base + end);
        prev = end;
      }
      if (prev !== dataLen) throw new FrameError(`messages end at ${prev} but data holds ${dataLen} bytes`);
      if (seq + n > Number.MAX_SAFE_INTEGER) throw new FrameError('message seq overflows 2^53');
      return { kind, seq, messages, bytes: dataLen };
    }
    default:
      throw new FrameError(`unknown frame kind ${kind}; expected Init(0), Messages(1), Ack(2) or Reject(3)`);
  }
}
