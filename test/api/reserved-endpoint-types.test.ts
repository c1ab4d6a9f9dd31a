// `procs.spawn(name, Class, params)` does not compile for an actor class with an endpoint named
// like a mesh member (`CheckedEndpoints`, src/mesh/endpoint.ts), and still infers the mesh type of
// every other class. Type-checks fixtures/reserved-endpoint-spawn.ts with the project's compiler
// options: as written (each `@ts-expect-error` line must be an error, the rest must compile), and
// with the `@ts-expect-error` comments removed (the errors must be the reserved-name ones, naming
// the endpoints, at those lines). `npx tsc --noEmit -p .` checks the fixture as written too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = join(root, 'test', 'api', 'fixtures', 'reserved-endpoint-spawn.ts');
/** The fixture without its `@ts-expect-error` comments (a virtual file next to it, so its imports resolve). */
const stripped = join(root, 'test', 'api', 'fixtures', 'reserved-endpoint-spawn.stripped.ts');

interface Found {
  line: number;
  text: string;
}

/** Type-checks the fixture and its stripped copy in one program; diagnostics per file. */
function check(): { asWritten: Found[]; stripped: Found[]; expectLines: number[] } {
  const source = readFileSync(fixture, 'utf8');
  const lines = source.split('\n');
  const expectLines = lines.flatMap((l, i) => (/^\s*\/\/ @ts-expect-error/.test(l) ? [i + 2] : [])); // 1-based line after the comment
  const strippedText = lines.map((l) => l.replace(/\/\/ @ts-expect-error.*$/, '')).join('\n');
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')) },
  )!;
  const options = { ...config.options, noEmit: true, declaration: false, sourceMap: false };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) =>
    name === stripped ? ts.createSourceFile(name, strippedText, lang) : getSourceFile(name, lang, onError, create);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === stripped || fileExists(name);
  const program = ts.createProgram([fixture, stripped], options, host);
  const found = (file: string): Found[] =>
    ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ({
      line: d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0,
      text: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    }));
  return { asWritten: found(fixture), stripped: found(stripped), expectLines };
}

test('procs.spawn refuses classes with reserved endpoint names at compile time and keeps typing the others', { timeout: 120_000 }, () => {
  const r = check();
  assert.deepEqual(r.asWritten, [], 'the fixture compiles as written: good spawns are typed, every @ts-expect-error line is an error');
  assert.equal(r.expectLines.length, 3);
  const [reserved, then, params] = r.expectLines;
  assert.deepEqual(
    r.stripped.map((d) => d.line).sort((a, b) => a - b),
    r.expectLines,
    `errors exactly at the @ts-expect-error lines: ${JSON.stringify(r.stripped)}`,
  );
  const at = (line: number | undefined) =>
    r.stripped
      .filter((d) => d.line === line)
      .map((d) => d.text)
      .join('\n');
  assert.match(at(reserved), /reserved endpoint names \(rename them\)/);
  assert.match(at(reserved), /"get"/);
  assert.match(at(reserved), /"slice"/);
  assert.match(at(then), /reserved endpoint names \(rename them\)': "then"/);
  assert.doesNotMatch(at(params), /reserved/, 'a class without reserved names fails only on its params');
  assert.match(at(params), /'string' is not assignable to type 'number'/);
});
