/**
 * The YAML that kubeconfig files and plain Kubernetes manifests use, read without a YAML
 * dependency: block mappings, block sequences (of scalars or mappings), plain, single- and
 * double-quoted scalars, flow sequences of scalars (`[a, "b"]`), `{}` and `[]`, comments and
 * `---` document separators. JSON (a YAML subset) is read with `JSON.parse`.
 *
 * Invariant: anything outside that subset (anchors, tags, block scalars `|`/`>`, flow mappings
 * with content, tabs in indentation) throws `KubeConfigError` naming the line; nothing is guessed.
 */
import { ActormeshError } from '../base/errors.js';

/**
 * Variants of `KubernetesError`: the API answered with an HTTP status (`BadRequest` 400 ...
 * `Invalid` 422, `ApiError` for any other; the API's own reason is `KubeApiError.reason`), the
 * server was unreachable, an answer or watch event was not JSON, or a kubeconfig or manifest is
 * unusable (`BadConfig`).
 */
export type KubernetesErrorVariant =
  | 'Unreachable'
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'Gone'
  | 'Invalid'
  | 'ApiError'
  | 'BadResponse'
  | 'BadEvent'
  | 'BadConfig';

/** An error talking to Kubernetes (defined here, below the client, which reads its kubeconfig with this module). */
export class KubernetesError extends ActormeshError<'KubernetesError', KubernetesErrorVariant> {
  constructor(variant: KubernetesErrorVariant, message: string, options?: { cause?: unknown }) {
    super('KubernetesError', variant, message, options);
  }
}

/** A kubeconfig or manifest cannot be read, or names something this client does not support. */
export class KubeConfigError extends KubernetesError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BadConfig', message, options);
  }
}

interface Line {
  readonly n: number;
  indent: number;
  text: string;
}

/** The documents of a YAML (or JSON) text. */
export function parseYamlDocuments(text: string, what = 'YAML'): unknown[] {
  if (/^\s*[[{]/.test(text)) {
    try {
      return [JSON.parse(text)];
    } catch {
      /* flow YAML is not supported: fall through to the line parser's error */
    }
  }
  const docs: Line[][] = [[]];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^---\s*(#.*)?$/.test(raw)) {
      docs.push([]);
      return;
    }
    if (/^\s*(#.*)?$/.test(raw) || raw === '...') return;
    const m = /^( *)(.*)$/.exec(raw)!;
    if (m[2]!.startsWith('\t')) throw new KubeConfigError(`${what} line ${i + 1}: tabs in indentation; expected spaces`);
    docs[docs.length - 1]!.push({ n: i + 1, indent: m[1]!.length, text: stripComment(m[2]!) });
  });
  return docs
    .filter((d) => d.length > 0)
    .map((lines) => {
      const p = new Parser(lines, what);
      const v = p.block(lines[0]!.indent);
      if (p.i < lines.length) throw p.error(lines[p.i]!, 'unexpected indentation');
      return v;
    });
}

/** The single document of a YAML (or JSON) text. */
export function parseYaml(text: string, what = 'YAML'): unknown {
  const docs = parseYamlDocuments(text, what);
  if (docs.length !== 1) throw new KubeConfigError(`${what}: expected one document, found ${docs.length}`);
  return docs[0];
}

const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#\-[{][^:]*?|-[^\s:][^:]*?)\s*:(?:\s+(.*))?$/;

class Parser {
  i = 0;
  constructor(
    private readonly lines: Line[],
    private readonly what: string,
  ) {}

  error(l: Line, why: string): KubeConfigError {
    return new KubeConfigError(`${this.what} line ${l.n}: ${why} (${JSON.stringify(l.text)})`);
  }

  block(indent: number): unknown {
    const l = this.lines[this.i]!;
    return isSeqItem(l.text) ? this.seq(indent) : this.map(indent);
  }

  private map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.i < this.lines.length) {
      const l = this.lines[this.i]!;
      if (l.indent < indent) break;
      if (l.indent > indent) throw this.error(l, 'unexpected indentation');
      if (isSeqItem(l.text)) break;
      const m = KEY.exec(l.text);
      if (m === null) throw this.error(l, 'expected key: value');
      const key = String(scalar(m[1]!, () => this.error(l, 'bad key')));
      this.i++;
      const rest = m[2];
      if (rest !== undefined && rest !== '') out[key] = this.value(rest, l);
      else out[key] = this.nested(indent, true);
    }
    return out;
  }

  /** The block under a key or dash: deeper lines (or, under a key, a sequence at the same indent). */
  private nested(indent: number, sameIndentSeq: boolean): unknown {
    const next = this.lines[this.i];
    if (next === undefined) return null;
    if (next.indent > indent) return this.block(next.indent);
    if (sameIndentSeq && next.indent === indent && isSeqItem(next.text)) return this.seq(indent);
    return null;
  }

  private seq(indent: number): unknown[] {
    const out: unknown[] = [];
    while (this.i < this.lines.length) {
      const l = this.lines[this.i]!;
      if (l.indent !== indent || !isSeqItem(l.text)) {
        if (l.indent > indent) throw this.error(l, 'unexpected indentation');
        break;
      }
      const rest = l.text.slice(1).trimStart();
      if (rest === '') {
        this.i++;
        out.push(this.nested(indent, false));
      } else if (KEY.test(rest)) {
        // `- key: v` starts a mapping whose lines are indented past the dash.
        l.indent = indent + (l.text.length - rest.length);
        l.text = rest;
        out.push(this.map(l.indent));
      } else {
        this.i++;
        out.push(this.value(rest, l));
      }
    }
    return out;
  }

  private value(text: string, l: Line): unknown {
    if (/^[&*!|>]/.test(text)) throw this.error(l, 'anchors, aliases, tags and block scalars are not supported');
    return scalar(text, () => this.error(l, 'bad value'));
  }
}

function isSeqItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** Drops a ` # comment` outside quotes. */
function stripComment(s: string): string {
  let q: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q !== undefined) {
      if (c === '\\' && q === '"') i++;
      else if (c === q) q = undefined;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || s[i - 1] === ' ')) return s.slice(0, i).trimEnd();
  }
  return s.trimEnd();
}

function scalar(text: string, bad: () => Error): unknown {
  const t = text.trim();
  if (t.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(t)) throw bad();
    return JSON.parse(t.replace(/\\'/g, "'")) as string;
  }
  if (t.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(t)) throw bad();
    return t.slice(1, -1).replace(/''/g, "'");
  }
  if (t === '{}') return {};
  if (t.startsWith('[')) {
    if (!t.endsWith(']')) throw bad();
    const inner = t.slice(1, -1).trim();
    if (inner === '') return [];
    const parts = inner.match(/"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^,]+/g) ?? [];
    return parts
      .map((p) => p.trim())
      .filter((p) => p !== ',' && p !== '')
      .map((p) => scalar(p, bad));
  }
  if (t.startsWith('{')) throw bad();
  if (t === 'true' || t === 'True') return true;
  if (t === 'false' || t === 'False') return false;
  if (t === 'null' || t === '~' || t === '') return null;
  if (/^-?(0|[1-9]\d*)$/.test(t)) return Number(t);
  if (/^-?(0|[1-9]\d*)\.\d+$/.test(t)) return Number(t);
  return t;
}
