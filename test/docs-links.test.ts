// The documents' relative links resolve: every markdown link in README.md and docs/*.md to a
// relative path names a file or folder that exists, and every anchor (`#...`, alone or after a
// markdown file) matches a heading of the target, slugged as GitHub does. Links inside code
// (fenced blocks, inline code spans) and absolute URLs are not checked. The named invariants of
// docs/architecture.md (`CH-1`, ...) cited in code, tests and documents exist, and each is cited
// by at least one source file that enforces it and one test that pins it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize } from 'node:path';

/** The documents whose links are checked. */
function documents(): string[] {
  return [
    'README.md',
    ...readdirSync('docs')
      .filter((f) => f.endsWith('.md'))
      .map((f) => join('docs', f)),
  ];
}

/** The text outside fenced code blocks, line by line (fence lines and code lines blanked). */
function proseLines(text: string): string[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const m = /^\s*(```+|~~~+)/.exec(line);
    if (fence === undefined && m) {
      fence = m[1]![0]!.repeat(m[1]!.length);
      return '';
    }
    if (fence !== undefined) {
      if (line.trim().startsWith(fence)) fence = undefined;
      return '';
    }
    return line;
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a markdown file's headings, with GitHub's -1, -2 suffixes for repeats. */
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of proseLines(readFileSync(file, 'utf8'))) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The link targets of a document, outside code, with their line numbers. */
function linksOf(file: string): Array<{ target: string; line: number }> {
  const out: Array<{ target: string; line: number }> = [];
  proseLines(readFileSync(file, 'utf8')).forEach((line, i) => {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push({ target: m[1]!, line: i + 1 });
  });
  return out;
}

test('every relative link in README.md and docs/*.md names an existing file, and every anchor a heading of it', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const doc of documents()) {
    for (const { target, line } of linksOf(doc)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
      checked++;
      const hash = target.indexOf('#');
      const path = hash < 0 ? target : target.slice(0, hash);
      const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const file = path === '' ? doc : normalize(join(dirname(doc), decodeURIComponent(path)));
      if (!existsSync(file)) {
        broken.push(`${doc}:${line}: ${target}: no such file ${file}`);
        continue;
      }
      if (anchor === undefined) continue;
      if (statSync(file).isDirectory() || !file.endsWith('.md')) {
        broken.push(`${doc}:${line}: ${target}: an anchor into something that is not a markdown file`);
      } else if (!anchorsOf(file).has(anchor)) {
        broken.push(`${doc}:${line}: ${target}: ${file} has no heading #${anchor}`);
      }
    }
  }
  assert.ok(checked > 10, `only ${checked} relative links found: the scan is broken`);
  assert.deepEqual(broken, []);
});

test('the slugs follow GitHub: punctuation dropped, code spans kept as text, spaces to hyphens', () => {
  assert.equal(slug("The lower layers' API"), 'the-lower-layers-api');
  assert.equal(slug('Sessions and frames (`src/wire/frames.ts`, `src/channel/`)'), 'sessions-and-frames-srcwireframests-srcchannel');
  assert.equal(slug('Actors, procs, ports and supervision'), 'actors-procs-ports-and-supervision');
  assert.equal(slug('src/wasm, src/ndslice (the hot path)'), 'srcwasm-srcndslice-the-hot-path');
});

/** Files under `dir` with one of the extensions, recursively. */
function filesUnder(dir: string, exts: readonly string[], out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) filesUnder(p, exts, out);
    else if (exts.includes(extname(p))) out.push(p);
  }
  return out;
}

const INVARIANT = /\b(?:ERR|WASM|SEL|VM|CORE|WIRE|CH|MB|ACT|MESH|HOST|API)-\d+\b/g;

/** The invariant names cited by files that refer to docs/architecture.md (or are the documents). */
function citations(files: readonly string[], always = false): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (!always && !text.includes('docs/architecture.md')) continue;
    for (const name of new Set(text.match(INVARIANT) ?? [])) out.set(name, [...(out.get(name) ?? []), f]);
  }
  return out;
}

test('every named invariant cited in code, tests and documents is defined in docs/architecture.md, and each is cited by a source file and a test', () => {
  const defined = new Set([...readFileSync('docs/architecture.md', 'utf8').matchAll(/^- \*\*([A-Z]+-\d+)\*\*/gm)].map((m) => m[1]!));
  assert.ok(defined.size >= 20, `only ${defined.size} named invariants found in docs/architecture.md`);
  const code = citations([...filesUnder('src', ['.ts']), ...filesUnder('assembly', ['.ts'])]);
  const tests = citations(filesUnder('test', ['.ts']).filter((f) => f !== join('test', 'docs-links.test.ts')));
  const docs = citations(documents(), true);
  const unknown = [...code, ...tests, ...docs].filter(([name]) => !defined.has(name)).map(([name, files]) => `${name} in ${files.join(', ')}`);
  assert.deepEqual(unknown, [], 'cited but not defined in docs/architecture.md');
  assert.deepEqual(
    [...defined].filter((n) => !code.has(n)),
    [],
    'defined but cited by no source file',
  );
  assert.deepEqual(
    [...defined].filter((n) => !tests.has(n)),
    [],
    'defined but cited by no test',
  );
});
