/**
 * Plain-TypeScript reference of each `rle` WASM kernel (internal: tests and the status-reduce
 * benchmark compare the kernels against it). Same algorithms, same u32 triple layout, same
 * outputs; no linear memory. The kernels must give this module's results
 * (docs/architecture.md WASM-3).
 */
import type { CodeRuns } from './kernels.js';

function appendRun(out: Uint32Array, n: number, s: number, e: number, c: number): number {
  if (n > 0) {
    const l = (n - 1) * 3;
    if (out[l + 1] === s && out[l + 2] === c) {
      out[l + 1] = e;
      return n;
    }
  }
  const p = n * 3;
  out[p] = s;
  out[p + 1] = e;
  out[p + 2] = c;
  return n + 1;
}

export function refMergeCodeRuns(left: Uint32Array, ln: number, right: Uint32Array, rn: number, countCode: number): CodeRuns {
  const out = new Uint32Array((ln + 2 * rn + 1) * 3);
  let n = 0;
  let i = 0;
  let shadow = 0;
  for (let j = 0; j < rn; j++) {
    const rs = right[j * 3]!;
    const re = right[j * 3 + 1]!;
    const rc = right[j * 3 + 2]!;
    while (i < ln) {
      const le = left[i * 3 + 1]!;
      const s = Math.max(left[i * 3]!, shadow);
      if (s >= le) {
        i++;
        continue;
      }
      if (s >= rs) break;
      const e = Math.min(le, rs);
      n = appendRun(out, n, s, e, left[i * 3 + 2]!);
      shadow = e;
      if (e === le) i++;
      else break;
    }
    n = appendRun(out, n, rs, re, rc);
    shadow = Math.max(shadow, re);
  }
  for (; i < ln; i++) {
    const le = left[i * 3 + 1]!;
    const s = Math.max(left[i * 3]!, shadow);
    if (s < le) n = appendRun(out, n, s, le, left[i * 3 + 2]!);
  }
  let counted = 0;
  for (let j = 0; j < n; j++) if (out[j * 3 + 2] === countCode) counted += out[j * 3 + 1]! - out[j * 3]!;
  return { runs: out.slice(0, n * 3), counted };
}

export function refEncodeDenseCodes(codes: Uint32Array, countCode: number): CodeRuns {
  const out: number[] = [];
  let counted = 0;
  let i = 0;
  while (i < codes.length) {
    const c = codes[i]!;
    let j = i + 1;
    while (j < codes.length && codes[j] === c) j++;
    out.push(i, j, c);
    if (c === countCode) counted += j - i;
    i = j;
  }
  return { runs: Uint32Array.from(out), counted };
}

export function refDecodeCodeRuns(runs: Uint32Array, rn: number, n: number, fill: number): Uint32Array {
  const out = new Uint32Array(n).fill(fill);
  for (let j = 0; j < rn; j++) out.fill(runs[j * 3 + 2]!, Math.min(runs[j * 3]!, n), Math.min(runs[j * 3 + 1]!, n));
  return out;
}

/** Reference of the dense state the accumulator keeps in WASM memory. */
export class RefDenseCodeState {
  readonly n: number;
  private readonly state: Uint32Array;
  constructor(n: number, fill: number) {
    this.n = n;
    this.state = new Uint32Array(n).fill(fill);
  }
  apply(runs: ArrayLike<number>, rn: number, countCode: number, codeMap?: Uint32Array): number {
    let delta = 0;
    const st = this.state;
    for (let j = 0; j < rn; j++) {
      const s = runs[j * 3]!;
      const e = Math.min(runs[j * 3 + 1]!, this.n);
      const c = codeMap ? codeMap[runs[j * 3 + 2]!]! : runs[j * 3 + 2]!;
      for (let k = s; k < e; k++) {
        const old = st[k]!;
        if (old === countCode && c !== countCode) delta--;
        else if (old !== countCode && c === countCode) delta++;
        st[k] = c;
      }
    }
    return delta;
  }
  applyOne(start: number, end: number, code: number, countCode: number): number {
    let delta = 0;
    const st = this.state;
    const e = Math.min(end, this.n);
    for (let k = start; k < e; k++) {
      const old = st[k]!;
      if (old === countCode && code !== countCode) delta--;
      else if (old !== countCode && code === countCode) delta++;
      st[k] = code;
    }
    return delta;
  }
  get(rank: number): number {
    return this.state[rank]!;
  }
  encode(countCode: number): CodeRuns {
    return refEncodeDenseCodes(this.state, countCode);
  }
  codes(): Uint32Array {
    return this.state.slice();
  }
  dispose(): void {}
}
