/**
 * Selection text syntax (Monarch ndslice/src/selection/parse.rs) and the compact display that
 * round-trips through it.
 *
 * Grammar (whitespace is removed first):
 *   union := inter ('|' inter)*      inter := chain ('&' chain)*      chain := group (',' group)*
 *   group := '(' union ')' | range | index | '*' | '?'
 *   range := num? ':' num? (':' num)?     index := num
 * `&` binds tighter than `|`; each `,` descends one dimension: the tail of a chain replaces every
 * `true` leaf of the group before it (both arms of a parenthesized union included).
 * `*` = all(true), `?` = any(true), `n` = range(n..n+1), `:` = range(0..).
 * Errors: `ParseError` with the position (in the whitespace-free text) and what was expected.
 */
import { Range } from '../ndslice/range.js';
import { SelectionNotImplemented, SelectionParseError } from './errors.js';
import { AllSel, AnySel, FirstSel, IntersectionSel, RangeSel, Selection, UnionSel } from './selection.js';

class Parser {
  pos = 0;
  constructor(
    readonly text: string,
    readonly original: string,
  ) {}

  fail(reason: string, at = this.pos): never {
    throw new SelectionParseError(this.original, at, reason);
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  union(): Selection {
    let acc = this.inter();
    while (this.peek() === '|') {
      this.pos++;
      acc = new UnionSel(acc, this.inter());
    }
    return acc;
  }

  inter(): Selection {
    let acc = this.chain();
    while (this.peek() === '&') {
      this.pos++;
      acc = new IntersectionSel(acc, this.chain());
    }
    return acc;
  }

  chain(): Selection {
    const groups: Selection[] = [this.group()];
    while (this.peek() === ',') {
      this.pos++;
      groups.push(this.group());
    }
    let acc: Selection = Selection.true_();
    for (let i = groups.length - 1; i >= 0; i--) acc = pushTail(groups[i]!, acc);
    return acc;
  }

  number(): number | undefined {
    const start = this.pos;
    while (this.pos < this.text.length && this.text.charCodeAt(this.pos) >= 48 && this.text.charCodeAt(this.pos) <= 57) this.pos++;
    if (this.pos === start) return undefined;
    const n = Number(this.text.slice(start, this.pos));
    if (!Number.isSafeInteger(n)) this.fail(`number ${this.text.slice(start, this.pos)} is too large`, start);
    return n;
  }

  group(): Selection {
    const c = this.peek();
    if (c === undefined) this.fail("unexpected end of input (expected '(', '*', '?', an index or a range)");
    if (c === '(') {
      const open = this.pos;
      this.pos++;
      const inner = this.union();
      if (this.peek() !== ')') this.fail(`unclosed '(' opened at position ${open} (expected ')')`);
      this.pos++;
      return inner;
    }
    if (c === '*') {
      this.pos++;
      return Selection.all();
    }
    if (c === '?') {
      this.pos++;
      return Selection.any();
    }
    const start = this.number();
    if (this.peek() !== ':') {
      if (start === undefined) this.fail(`unexpected ${JSON.stringify(c)} (expected '(', '*', '?', an index or a range)`);
      return new RangeSel(Range.index(start), Selection.true_());
    }
    this.pos++;
    const end = this.number() ?? null;
    let step = 1;
    if (this.peek() === ':') {
      this.pos++;
      const stepAt = this.pos;
      const s = this.number();
      if (s === undefined) this.fail("expected a step after the second ':'");
      if (s === 0) this.fail('range step must be >= 1', stepAt);
      step = s;
    }
    return new RangeSel(new Range(start ?? 0, end, step), Selection.true_());
  }
}

/** Replaces every `true` leaf of `s` with `tail` (how a chain descends one dimension per `,`). */
function pushTail(s: Selection, tail: Selection): Selection {
  if (tail.kind === 'true') return s;
  switch (s.kind) {
    case 'true':
      return tail;
    case 'false':
      return s;
    case 'all':
      return new AllSel(pushTail(s.inner, tail));
    case 'first':
      return new FirstSel(pushTail(s.inner, tail));
    case 'any':
      return new AnySel(pushTail(s.inner, tail));
    case 'range':
      return new RangeSel(s.range, pushTail(s.inner, tail));
    case 'union':
      return new UnionSel(pushTail(s.left, tail), pushTail(s.right, tail));
    case 'intersection':
      return new IntersectionSel(pushTail(s.left, tail), pushTail(s.right, tail));
  }
}

/** Parses the text syntax; malformed text → `ParseError{input, position, reason}`. */
export function parseSelection(text: string): Selection {
  if (typeof text !== 'string') throw new SelectionParseError(String(text), 0, 'expected a string');
  const stripped = text.replace(/\s+/g, '');
  const p = new Parser(stripped, text);
  if (stripped.length === 0) p.fail('empty selection (expected e.g. "*" or "0,1:4")');
  const s = p.union();
  if (p.pos !== stripped.length) {
    const c = stripped[p.pos]!;
    p.fail(c === ')' ? "unmatched ')'" : `unexpected ${JSON.stringify(c)} (expected ',', '&', '|' or the end)`);
  }
  return s;
}

/**
 * Compact surface syntax (`*`, `*,0:1`, `4::1`, `(a|b)`, `(a&b)`, `?`), which `parseSelection`
 * reads back. `true` renders as the empty string; `false` and `first` have no surface syntax
 * (Rust panics) → `NotImplemented`.
 */
export function compact(s: Selection): string {
  switch (s.kind) {
    case 'true':
      return '';
    case 'false':
    case 'first':
      throw new SelectionNotImplemented('compact display', s.kind);
    case 'all':
    case 'any': {
      const inner = compact(s.inner);
      const sym = s.kind === 'all' ? '*' : '?';
      return inner ? `${sym},${inner}` : sym;
    }
    case 'range': {
      const r = s.range;
      const rs = r.end === null ? `${r.start}::${r.step}` : r.step === 1 ? `${r.start}:${r.end}` : `${r.start}:${r.end}:${r.step}`;
      const inner = compact(s.inner);
      return inner ? `${rs},${inner}` : rs;
    }
    case 'union':
      return `(${compact(s.left)}|${compact(s.right)})`;
    case 'intersection':
      return `(${compact(s.left)}&${compact(s.right)})`;
  }
}
