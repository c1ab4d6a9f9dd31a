import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Selection, parseSelection, compact, SelectionParseError, SelectionNotImplemented } from '../../src/selection/index.js';

const S = Selection;

test('parser table maps the text syntax to selection trees', () => {
  const table: [string, Selection][] = [
    ['*', S.all()],
    ['?', S.any()],
    ['4', S.range([4, 5, 1])],
    ['4:8', S.range([4, 8, 1])],
    ['4:', S.range([4, null, 1])],
    [':', S.range([0, null, 1])],
    [':4', S.range([0, 4, 1])],
    ['1::2', S.range([1, null, 2])],
    ['1:7:3', S.range([1, 7, 3])],
    ['0,0,0', S.range(0, S.range(0, S.range(0)))],
    ['*,0,*', S.all(S.range(0, S.all()))],
    ['*,*,(1:4:2|5::2)', S.all(S.all(S.union(S.range([1, 4, 2]), S.range([5, null, 2]))))],
    ['(*|0),1', S.union(S.all(S.range(1)), S.range(0, S.range(1)))],
    ['*&*,*,4:8', S.intersection(S.all(), S.all(S.all(S.range([4, 8]))))],
    ['*,*,1:4|5:6', S.union(S.all(S.all(S.range([1, 4]))), S.range([5, 6]))],
    ['0|1', S.union(S.range(0), S.range(1))],
    ['0&1|2&3', S.union(S.intersection(S.range(0), S.range(1)), S.intersection(S.range(2), S.range(3)))],
    [' * , \t* ', S.all(S.all())],
    ['((*))', S.all()],
  ];
  for (const [text, want] of table) assert.ok(parseSelection(text).equals(want), `${text} → ${parseSelection(text)} (expected ${want})`);
});

test('malformed selection text throws ParseError naming the position and the problem', () => {
  const bad: [string, number, RegExp][] = [
    ['', 0, /empty/],
    ['*,', 2, /end of input/],
    [',*', 0, /unexpected ","/],
    ['(*', 2, /unclosed '\('/],
    ['*)', 1, /unmatched '\)'/],
    ['*|', 2, /end of input/],
    ['1:2:', 4, /step/],
    ['1:2:0', 4, /step must be >= 1/],
    ['x', 0, /unexpected "x"/],
    ['**', 1, /unexpected "\*"/],
    ['1..2', 1, /unexpected "\."/],
    ['99999999999999999999', 0, /too large/],
  ];
  for (const [text, pos, reason] of bad) {
    assert.throws(
      () => parseSelection(text),
      (e: unknown) => e instanceof SelectionParseError && e.variant === 'ParseError' && e.position === pos && reason.test(e.reason),
      `${JSON.stringify(text)} should fail at ${pos} with ${reason}`,
    );
  }
});

test('compact display round-trips through the parser', () => {
  const cases = [
    S.all(),
    S.all(S.all(S.all())),
    S.range([4, 8]),
    S.range([4, null]),
    S.range([0, null]),
    S.range(0, S.range(0, S.range(0))),
    S.all(S.all(S.range([1, null, 2]))),
    S.union(S.all(S.all(S.range([0, 4]))), S.all(S.all(S.range([4, null])))),
    S.intersection(S.all(), S.all(S.all(S.range([4, 8])))),
    S.any(S.any(S.any())),
    S.range(0, S.any(S.range([0, 4]))),
    S.all(S.all(S.union(S.range([1, 4]), S.range([5, 6])))),
    S.intersection(S.range(0, S.all(S.all())), S.range(0, S.union(S.range(1, S.all()), S.range(3, S.all())))),
    S.range([1, 4], S.range(2)),
  ];
  for (const s of cases) {
    const text = compact(s);
    assert.ok(parseSelection(text).equals(s), `${s} → ${text} → ${parseSelection(text)}`);
  }
  assert.equal(compact(S.range([1, 4, 2])), '1:4:2');
  assert.equal(compact(S.range([4, null])), '4::1');
});

test('compact display rejects false and first with a typed error', () => {
  assert.throws(() => compact(S.false_()), SelectionNotImplemented);
  assert.throws(() => compact(S.all(S.first())), SelectionNotImplemented);
});

test('pretty display uses constructor form', () => {
  assert.equal(S.range([1, 3], S.all()).toString(), 'range(1:3:1, all(true_()))');
  assert.equal(S.union(S.false_(), S.intersection(S.any(), S.first())).toString(), 'union(false_(), intersection(any(true_()), first(true_())))');
});

test('random text either parses or throws ParseError, never anything else', () => {
  const alphabet = '0123456789:*?,|&() x';
  let a = 12345;
  const rnd = () => (a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let k = 0; k < 2000; k++) {
    const len = 1 + Math.floor(rnd() * 12);
    let text = '';
    for (let i = 0; i < len; i++) text += alphabet[Math.floor(rnd() * alphabet.length)];
    try {
      const s = parseSelection(text);
      assert.ok(Selection.isSelection(s));
    } catch (e) {
      assert.ok(e instanceof SelectionParseError, `${JSON.stringify(text)}: ${e}`);
    }
  }
});
