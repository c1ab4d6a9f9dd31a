/**
 * Payload codec: encode+decode time and encoded size of typical actor messages, ours
 * (src/core/codec.ts: a small-message fast path (fast-codec.ts) for flat messages, else msgpackr
 * plain mode, record mode when the message holds a Map, behind our error handling and class
 * registry) against reused msgpackr Packrs in record and plain mode,
 * v8.serialize, and JSON with a tagging replacer/reviver (so it round-trips the same kinds) +
 * TextEncoder. Also `encodeMessage` vs `encode` (cost of bindings extraction).
 *
 * Every impl's output is checked with deepStrictEqual; an impl that does not round-trip a
 * message exactly is marked lossy for it and excluded from that message's ratio.
 *
 * Ratios (>1 = ours better): `encode-decode-<msg>` = best lossless alternative / ours (time);
 * `bindings-overhead-<msg>` = encode+decode /
 * encodeMessage+decodeMessage on a message without bindings (≈1 means no overhead);
 * `fast-path-actor-<tell|ask>-vs-msgpackr-plain` = a reused msgpackr plain Packr / ours on the
 * actor benchmark's two messages (both take ours's small-message fast path).
 */
import { isDeepStrictEqual } from 'node:util';
import v8 from 'node:v8';
import { Packr, Unpackr } from 'msgpackr';
import { timeNs, blackhole, type BenchRow, type SuiteOptions, type SuiteResult } from '../lib.js';
import { decode, decodeMessage, encode, encodeMessage } from '../../src/core/codec.js';
import { Rank, rebindRanks } from '../../src/core/bindings.js';
import { ActorId, DirectProcId, PortId, parseActorId } from '../../src/core/ids.js';
import { MessageEnvelope } from '../../src/mailbox/envelope.js';
import { EnvelopeDecoder, EnvelopeEncoder } from '../../src/mailbox/envelope-codec.js';
import { OncePortRef } from '../../src/actor/refs.js';

type Impl = { name: string; enc: (v: unknown) => Uint8Array; dec: (b: Uint8Array) => unknown };

const te = new TextEncoder();
const td = new TextDecoder();

function jsonReplacer(this: Record<string, unknown>, k: string, v: unknown): unknown {
  const raw = this[k];
  if (typeof raw === 'bigint') return { $big: raw.toString() };
  if (raw instanceof Uint8Array) return { $b64: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
  if (raw instanceof Map) return { $map: [...raw] };
  if (raw instanceof Set) return { $set: [...raw] };
  if (raw === undefined) return { $u: 1 };
  return v;
}
function jsonReviver(_k: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.$big === 'string') return BigInt(o.$big);
    if (typeof o.$b64 === 'string') return new Uint8Array(Buffer.from(o.$b64, 'base64'));
    if (Array.isArray(o.$map)) return new Map(o.$map as [unknown, unknown][]);
    if (Array.isArray(o.$set)) return new Set(o.$set);
    if (o.$u === 1) return undefined;
  }
  return v;
}

const rawRecP = new Packr({ useRecords: true, moreTypes: true });
const rawRecU = new Unpackr({ useRecords: true, moreTypes: true, copyBuffers: true });
const plainP = new Packr({ useRecords: false, moreTypes: true });
const plainU = new Unpackr({ useRecords: false, moreTypes: true, copyBuffers: true });

const OURS: Impl = { name: 'ours', enc: (v) => encode(v), dec: (b) => decode(b) };
const ALTERNATIVES: Impl[] = [
  { name: 'msgpackr-records', enc: (v) => rawRecP.pack(v), dec: (b) => rawRecU.unpack(b) },
  { name: 'msgpackr-plain', enc: (v) => plainP.pack(v), dec: (b) => plainU.unpack(b) },
  { name: 'v8', enc: (v) => v8.serialize(v), dec: (b) => v8.deserialize(b) },
  { name: 'json', enc: (v) => te.encode(JSON.stringify(v, jsonReplacer)), dec: (b) => JSON.parse(td.decode(b), jsonReviver) },
];

function messages(): Record<string, unknown> {
  return {
    small: { kind: 'ping', seq: 42, from: 'w[1].trainer[0]', ok: true, loss: 0.125 },
    numbers: { values: Array.from({ length: 256 }, (_, i) => i * 1.5) },
    'nested-bigint': { step: 7, meta: { name: 'ckpt', tags: ['a', 'b'], inner: { offset: 2n ** 40n + 3n, ranks: [0, 1, 2, 3] } } },
    'bytes-1k': { name: 'blob', data: new Uint8Array(1024).map((_, i) => i & 0xff) },
    map: { counts: new Map(Array.from({ length: 16 }, (_, i) => [`k${i}`, i])) },
  };
}

export default async function codec(opts: SuiteOptions): Promise<SuiteResult> {
  const t = opts.quick ? { samples: 3, minSampleMs: 15 } : { samples: 7, minSampleMs: 50 };
  const results: BenchRow[] = [];
  const ratios: Record<string, number> = {};
  const notes: string[] = [];

  const msgs = messages();
  const impls = [OURS, ...ALTERNATIVES];
  // Warm every path up first so the JIT state does not favour whichever impl runs last.
  for (let i = 0; i < (opts.quick ? 1000 : 3000); i++) {
    for (const value of Object.values(msgs)) {
      for (const impl of impls) blackhole(impl.dec(impl.enc(value)));
      const m = encodeMessage(value);
      blackhole(decodeMessage(m.data, m.bindings));
    }
  }
  // Interleaved rounds; each row keeps its best (least disturbed) median.
  const rounds = opts.quick ? 1 : 3;
  /** Best-of-`rounds` ns per call of `a` and of `b`, interleaved, after a warm-up of both. */
  const bestOfBoth = (a: () => unknown, b: () => unknown): [number, number] => {
    for (let i = 0; i < 3000; i++) {
      blackhole(a());
      blackhole(b());
    }
    let aNs = Infinity;
    let bNs = Infinity;
    for (let r = 0; r < rounds; r++) {
      aNs = Math.min(aNs, timeNs(a, t));
      bNs = Math.min(bNs, timeNs(b, t));
    }
    return [aNs, bNs];
  };
  const vs: Record<string, number[]> = {};
  const best = (key: string, ns: number, acc: Map<string, number>) => acc.set(key, Math.min(acc.get(key) ?? Infinity, ns));

  for (const [msg, value] of Object.entries(msgs)) {
    const times = new Map<string, number>();
    const lossy: string[] = [];
    for (const impl of impls) if (!isDeepStrictEqual(impl.dec(impl.enc(value)), value)) lossy.push(impl.name);
    for (let r = 0; r < rounds; r++) {
      for (const impl of impls)
        best(
          impl.name,
          timeNs(() => impl.dec(impl.enc(value)), t),
          times,
        );
      best(
        'plain',
        timeNs(() => decode(encode(value)), t),
        times,
      );
      best(
        'message',
        timeNs(() => {
          const m = encodeMessage(value);
          return decodeMessage(m.data, m.bindings);
        }, t),
        times,
      );
    }
    for (const impl of impls) {
      const ok = !lossy.includes(impl.name);
      results.push({ name: `encode-decode-${msg}`, impl: impl.name + (ok ? '' : ' (lossy)'), value: times.get(impl.name)!, unit: 'ns' });
    }
    for (const impl of impls) results.push({ name: `size-${msg}`, impl: impl.name, value: impl.enc(value).length, unit: 'bytes' });
    if (lossy.includes('ours')) notes.push(`!! ours is lossy on ${msg}`);
    const alts = ALTERNATIVES.filter((a) => !lossy.includes(a.name)).map((a) => times.get(a.name)!);
    ratios[`encode-decode-${msg}`] = Math.min(...alts) / times.get('ours')!;
    for (const a of ALTERNATIVES) if (!lossy.includes(a.name)) (vs[a.name] ??= []).push(times.get(a.name)! / times.get('ours')!);
    if (lossy.length) notes.push(`lossy on ${msg} (excluded from its ratio): ${lossy.join(', ')}`);
    // Bindings extraction on a message that has none: encodeMessage+decodeMessage vs encode+decode.
    results.push({ name: `no-bindings-${msg}`, impl: 'encode+decode', value: times.get('plain')!, unit: 'ns' });
    results.push({ name: `no-bindings-${msg}`, impl: 'encodeMessage+decodeMessage', value: times.get('message')!, unit: 'ns' });
    ratios[`bindings-overhead-${msg}`] = times.get('plain')! / times.get('message')!;
  }

  for (const [name, rs] of Object.entries(vs)) {
    ratios[`geomean-vs-${name}`] = Math.exp(rs.reduce((acc, r) => acc + Math.log(r), 0) / rs.length);
  }

  // A cast message with ranks: extract, rewrite for a receiver, decode.
  const cast = { task: 'step', me: new Rank(0), peers: [new Rank(1), new Rank(2)], payload: { values: [1, 2, 3] } };
  const castNs = timeNs(() => {
    const m = encodeMessage(cast);
    return decodeMessage(m.data, rebindRanks(m.bindings, 5));
  }, t);
  const enc = encodeMessage(cast);
  const rebindNs = timeNs(() => rebindRanks(enc.bindings, 5), t);
  results.push({ name: 'cast-3-ranks', impl: 'encodeMessage+rebind+decode', value: castNs, unit: 'ns' });
  results.push({ name: 'cast-3-ranks', impl: 'rebindRanks only', value: rebindNs, unit: 'ns' });
  blackhole(enc);

  // The small-message fast path (src/core/fast-codec.ts) on the actor benchmark's messages:
  // encodeMessage+decodeMessage (what an ActorRef send does) vs a reused msgpackr Packr in plain
  // mode (what ours did before the fast path, minus our wrapper).
  const actorMsgs: Record<string, unknown> = {
    'actor-tell': { type: 'inc', by: 1 },
    'actor-ask': { type: 'get', reply: new OncePortRef<number>(new PortId(parseActorId('bench[0].client[0]'), 1025n), 'reply', false) },
  };
  for (const [msg, value] of Object.entries(actorMsgs)) {
    const ours = () => {
      const m = encodeMessage(value);
      return decodeMessage(m.data, m.bindings);
    };
    const raw = () => plainU.unpack(plainP.pack(value));
    const fastBytes = encodeMessage(value).data;
    if (!(fastBytes[0] === 0xc1 && fastBytes[1] === 0xc1)) notes.push(`!! ${msg} did not take the fast path`);
    if (!isDeepStrictEqual(ours(), value) && !(value as { reply?: unknown }).reply) notes.push(`!! ours is lossy on ${msg}`);
    const [oursNs, rawNs] = bestOfBoth(ours, raw);
    results.push({ name: `fast-path-${msg}`, impl: 'ours (encodeMessage+decodeMessage)', value: oursNs, unit: 'ns' });
    results.push({ name: `fast-path-${msg}`, impl: 'msgpackr-plain', value: rawNs, unit: 'ns' });
    results.push({ name: `size-${msg}`, impl: 'ours', value: fastBytes.length, unit: 'bytes' });
    results.push({ name: `size-${msg}`, impl: 'msgpackr-plain', value: plainP.pack(value).length, unit: 'bytes' });
    ratios[`fast-path-${msg}-vs-msgpackr-plain`] = rawNs / oursNs;
  }
  // The channel benchmark's payload, each direction on its own (what one sender / one receiver
  // pays per message before any envelope, channel or actor work): the floor under `oneway-*`.
  for (const size of [64, 1024]) {
    const value = { type: 'data', data: new Uint8Array(size).fill(7) };
    const bytes = encodeMessage(value).data.slice();
    const enc = () => encodeMessage(value);
    const dec = () => decodeMessage(bytes, []);
    const [encNs, decNs] = bestOfBoth(enc, dec);
    const label = size === 64 ? '64B' : '1KiB';
    results.push({ name: `channel-payload-${label}`, impl: 'encodeMessage', value: encNs, unit: 'ns' });
    results.push({ name: `channel-payload-${label}`, impl: 'decodeMessage', value: decNs, unit: 'ns' });
  }
  // Envelope layouts (mailbox/envelope-codec.ts) for a small payload between two direct procs:
  // the hand-laid common envelope, the hand-laid ask (reply port), and the Builder (a header).
  {
    const from = new ActorId(new DirectProcId('tcp:127.0.0.1:5000', 'driver'), 'client', 0);
    const to = new ActorId(new DirectProcId('tcp:127.0.0.1:6000', 'peer'), 'counter', 0).port(1n << 63n);
    const data = encodeMessage({ type: 'get', n: 1 }).data.slice();
    const kinds: Record<string, (e: MessageEnvelope) => void> = {
      plain: () => {},
      ask: (e) => (e.replyPort = 1234),
      header: (e) => (e.headers = new Map([['SEND_TIMESTAMP', new Uint8Array(8)]])),
    };
    for (const [kind, set] of Object.entries(kinds)) {
      const enc = new EnvelopeEncoder();
      const dec = new EnvelopeDecoder();
      const make = (): MessageEnvelope => {
        const e = new MessageEnvelope(from, to, data, 'get');
        set(e);
        return e;
      };
      const bytes = enc.encode(make()).slice();
      const encode = () => enc.encode(make());
      const decode = () => dec.decode(bytes);
      const [encNs, decNs] = bestOfBoth(encode, decode);
      results.push({ name: `envelope-${kind}`, impl: 'encode (incl. new MessageEnvelope)', value: encNs, unit: 'ns' });
      results.push({ name: `envelope-${kind}`, impl: 'decode', value: decNs, unit: 'ns' });
    }
  }
  notes.push('time ratios: best lossless alternative (msgpackr records/plain with a reused Packr, v8, json+tags) / ours');
  return { suite: 'codec', results, ratios, notes };
}
