/**
 * Text formats of ndslice values (Monarch ndslice/src/view.rs `impl Display`/`FromStr` for `Extent`, `Point`, `Region`;
 * ndslice/src/shape.rs for `Shape`): label quoting and the parsers of the
 * Point, Region and Shape displays. The parsers return plain parts; the classes build and validate.
 *
 * Label quoting: a label made only of ASCII letters, digits and `_` (including the empty label) is
 * printed bare; otherwise as a Rust `{:?}` string literal. We escape `"`, `\`, `\n`, `\t`, `\r`,
 * `\0` and, as `\u{hex}`, control, format, private-use, unassigned, surrogate and separator
 * characters other than the ASCII space (an approximation of Rust's `is_printable`).
 */
import { PointParseError, RegionParserError, ShapeParseError } from './errors.js';

const SAFE = /^[A-Za-z0-9_]*$/;
const NONPRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Whether Display prints the label bare. */
export function isSafeIdent(label: string): boolean {
  return SAFE.test(label);
}

/** Rust `{:?}` of a string. */
export function debugString(s: string): string {
  let out = '"';
  for (const ch of s) {
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\0':
        out += '\\0';
        break;
      default:
        if (ch !== ' ' && NONPRINTABLE.test(ch)) out += `\\u{${ch.codePointAt(0)!.toString(16)}}`;
        else out += ch;
    }
  }
  return out + '"';
}

/** A label as Display prints it. */
export function fmtLabel(label: string): string {
  return isSafeIdent(label) ? label : debugString(label);
}

const UINT = /^[0-9]+$/;
function parseUint(tok: string): number | undefined {
  if (!UINT.test(tok)) return undefined;
  const n = Number(tok);
  return Number.isSafeInteger(n) ? n : undefined;
}

// ------------------------------------------------------------------------------------ Point

export interface PointParts {
  labels: string[];
  sizes: number[];
  coords: number[];
}

/** Parses `label=coord/size,…` (spaces allowed around tokens; empty text = the unity point). */
export function parsePointText(text: string): PointParts {
  const parts: PointParts = { labels: [], sizes: [], coords: [] };
  if (typeof text !== 'string') throw new PointParseError(`expected a string, got ${typeof text}`);
  if (text.trim() === '') return parts;
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => {
    throw new PointParseError(`${what} at offset ${i} in ${JSON.stringify(text)}`);
  };
  const skipWs = () => {
    while (i < n && /\s/.test(text[i]!)) i++;
  };
  const runUntil = (stops: string): string => {
    const b = i;
    while (i < n && !stops.includes(text[i]!) && !/\s/.test(text[i]!)) i++;
    return text.slice(b, i);
  };
  for (;;) {
    skipWs();
    let label: string;
    if (text[i] === '"') {
      i++;
      label = '';
      for (;;) {
        if (i >= n) fail('unterminated quoted label');
        const ch = text[i]!;
        if (ch === '"') {
          i++;
          break;
        }
        if (ch === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
          label += text[i + 1];
          i += 2;
          continue;
        }
        label += ch;
        i++;
      }
      if (label === '') fail('empty quoted label');
    } else {
      label = runUntil('=');
      if (label === '') fail('expected a label');
    }
    skipWs();
    if (text[i] !== '=') fail(`expected '=' after label ${JSON.stringify(label)}`);
    i++;
    skipWs();
    const c = parseUint(runUntil('/'));
    if (c === undefined) fail('expected an unsigned integer coordinate');
    skipWs();
    if (text[i] !== '/') fail(`expected '/' after the coordinate`);
    i++;
    skipWs();
    const s = parseUint(runUntil(','));
    if (s === undefined) fail('expected an unsigned integer size');
    parts.labels.push(label);
    parts.coords.push(c!);
    parts.sizes.push(s!);
    skipWs();
    if (i >= n) return parts;
    if (text[i] !== ',') fail(`expected ',' or the end`);
    i++;
    skipWs();
    if (i >= n) fail('trailing comma');
  }
}

// ------------------------------------------------------------------------------------ Region

export interface RegionParts {
  offset: number;
  labels: string[];
  sizes: number[];
  strides: number[];
}

type Tok = { kind: 'delim'; ch: string } | { kind: 'word'; text: string; quoted: boolean };

function tokenizeRegion(text: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let word = '';
  const flush = () => {
    const t = word.trim();
    if (t !== '') toks.push({ kind: 'word', text: t, quoted: false }); // whitespace-only words are dropped
    word = '';
  };
  while (i < text.length) {
    const ch = text[i]!;
    if ('+=,/'.includes(ch)) {
      flush();
      toks.push({ kind: 'delim', ch });
      i++;
    } else if (ch === '"' && word.trim() === '') {
      word = '';
      i++;
      let s = '';
      for (;;) {
        if (i >= text.length) throw new RegionParserError(`unterminated string literal in ${JSON.stringify(text)}`);
        const c = text[i]!;
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\\' && i + 1 < text.length) {
          const e = text[i + 1]!;
          const map: Record<string, string> = { '\\': '\\', '"': '"', n: '\n', r: '\r', t: '\t' };
          s += map[e] ?? '\\' + e;
          i += 2;
          continue;
        }
        s += c;
        i++;
      }
      toks.push({ kind: 'word', text: s, quoted: true });
      while (i < text.length && /\s/.test(text[i]!)) i++;
    } else {
      word += ch;
      i++;
    }
  }
  flush();
  return toks;
}

/** Parses `[offset+]label=size/stride,…` into parts (the caller validates the slice). */
export function parseRegionText(text: string): RegionParts {
  if (typeof text !== 'string') throw new RegionParserError(`expected a string, got ${typeof text}`);
  const toks = tokenizeRegion(text);
  const parts: RegionParts = { offset: 0, labels: [], sizes: [], strides: [] };
  let k = 0;
  const fail = (what: string): never => {
    throw new RegionParserError(`${what} (token ${k}) in ${JSON.stringify(text)}`);
  };
  const delim = (ch: string) => {
    const t = toks[k];
    if (!t || t.kind !== 'delim' || t.ch !== ch) fail(`expected '${ch}'`);
    k++;
  };
  const uint = (what: string): number => {
    const t = toks[k];
    const v = t && t.kind === 'word' && !t.quoted ? parseUint(t.text) : undefined;
    if (v === undefined) fail(`expected an unsigned integer ${what}`);
    k++;
    return v!;
  };
  const first = toks[0];
  if (first && first.kind === 'word' && !first.quoted && parseUint(first.text) !== undefined) {
    parts.offset = uint('offset');
    delim('+');
  }
  if (k >= toks.length) return parts;
  for (;;) {
    const t = toks[k];
    if (!t || t.kind !== 'word') fail('expected a label');
    parts.labels.push((t as { text: string }).text);
    k++;
    delim('=');
    parts.sizes.push(uint('size'));
    delim('/');
    parts.strides.push(uint('stride'));
    if (k >= toks.length) return parts;
    delim(',');
  }
}

// ------------------------------------------------------------------------------------ Shape

export interface ShapeParts {
  labels: string[];
  sizes: number[];
}

/** Parses `{label=size,…}` (labels never quoted). */
export function parseShapeText(text: string): ShapeParts {
  if (typeof text !== 'string') throw new ShapeParseError(`expected a string, got ${typeof text}`);
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}') || t.length < 2) throw new ShapeParseError(`expected text enclosed in '{' and '}', got ${JSON.stringify(text)}`);
  const inner = t.slice(1, -1).trim();
  const parts: ShapeParts = { labels: [], sizes: [] };
  if (inner === '') return parts;
  for (const item of inner.split(',')) {
    const kv = item.split('=');
    if (kv.length !== 2) throw new ShapeParseError(`expected 'label=size', got ${JSON.stringify(item.trim())}`);
    const label = kv[0]!.trim();
    const sizeText = kv[1]!.trim();
    if (label === '' || sizeText === '') throw new ShapeParseError(`expected 'label=size' with both parts non-empty, got ${JSON.stringify(item.trim())}`);
    const size = parseUint(sizeText);
    if (size === undefined) throw new ShapeParseError(`expected an unsigned integer size, got ${JSON.stringify(sizeText)}`);
    parts.labels.push(label);
    parts.sizes.push(size);
  }
  return parts;
}
