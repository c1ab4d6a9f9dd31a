/**
 * Log aggregation for the client terminal (Monarch's log forwarding/aggregation): procs on many
 * hosts print lines; the client shows each line prefixed with its source, and a line that many
 * sources print within a short window is shown once, with a count.
 *
 * Output format (one `write` per run of consecutive lines on the same stream, each line ending in
 * `\n`):
 * - a line printed once by one source:                  `[host1 gpus=3] text`
 * - a line printed k > 1 times (by one or more sources): `[k× a, b, c (+n more)] text`
 *   where `a, b, c` are the first (at most `MAX_SOURCE_NAMES` = 3) distinct sources that printed
 *   it, in order of arrival, and `(+n more)` counts the remaining distinct sources (left out when
 *   there are none). `k` counts occurrences, so one source repeating a line gives `[3× a] text`.
 *
 * Invariants:
 * - Lines fold only with lines of the same stream and identical text (stdout and stderr never
 *   fold together); the source does not take part in the key.
 * - A line whose (stream, text) is not pending opens a window of `windowMs`; occurrences arriving
 *   before it ends are counted into it. When the window ends the line is written once, and a later
 *   occurrence opens a new window.
 * - Output order = order of first appearance (the order windows were opened). A repeated line is
 *   reported at the position of its first occurrence in the window, so a source's own repeats may
 *   move ahead of lines it printed in between.
 * - Nothing is lost: lines are written when their window ends (by an unref'd timer, or by the next
 *   `push` that finds the window over), when more than `maxPending` distinct lines are pending
 *   (the oldest is written early, bounding memory), on `flush()` and on `close()`. After `close()`
 *   `push` writes each line at once, unfolded.
 * - Nothing here keeps the process alive: the single timer is unref'd; `close()` clears it.
 */
import { ActormeshError } from '../base/errors.js';

/** One line printed by a proc (without its trailing newline). */
export interface LogLine {
  /** Where the line comes from, e.g. `host1 gpus=3`. */
  source: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface LogFoldOptions {
  /** How long a line waits for identical lines from other sources (default `DEFAULT_WINDOW_MS`). */
  windowMs?: number;
  /** Where folded lines go (default: `process.stdout` / `process.stderr`). */
  write?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** Clock in milliseconds (default `performance.now`). */
  now?: () => number;
  /** Most distinct lines kept pending (default `DEFAULT_MAX_PENDING`); beyond it the oldest are written early. */
  maxPending?: number;
}

export const DEFAULT_WINDOW_MS = 200;
export const DEFAULT_MAX_PENDING = 10_000;
/** Source names shown in a folded line's prefix; the rest are counted as `(+n more)`. */
export const MAX_SOURCE_NAMES = 3;

/** Invalid `LogFoldOptions`. */
export class LogFoldError extends ActormeshError<'LogFoldError', 'InvalidOption'> {
  readonly option: string;
  constructor(option: string, value: unknown, expected: string) {
    super('LogFoldError', 'InvalidOption', `LogFolder option ${option} has invalid value ${String(value)}: expected ${expected}`);
    this.option = option;
  }
}

interface Pending {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  /** When the window of this line ends (clock of `now`). */
  readonly deadline: number;
  /** Occurrences counted so far. */
  count: number;
  /** Distinct sources, in order of arrival. */
  readonly sources: Set<string>;
}

function defaultWrite(stream: 'stdout' | 'stderr', text: string): void {
  (stream === 'stderr' ? process.stderr : process.stdout).write(text);
}

/** `[source] ` or `[k× a, b, c (+n more)] ` for a pending line. */
function prefixOf(p: Pending): string {
  if (p.count === 1) return `[${p.sources.values().next().value!}] `;
  const names: string[] = [];
  for (const s of p.sources) {
    if (names.length === MAX_SOURCE_NAMES) break;
    names.push(s);
  }
  const more = p.sources.size - names.length;
  return `[${p.count}× ${names.join(', ')}${more > 0 ? ` (+${more} more)` : ''}] `;
}

export class LogFolder {
  private readonly windowMs: number;
  private readonly write: (stream: 'stdout' | 'stderr', text: string) => void;
  private readonly now: () => number;
  private readonly maxPending: number;
  /** Open windows by `stream\0text`, in order of first appearance (Map keeps insertion order). */
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  /** The deadline `timer` is armed for. */
  private timerDeadline = 0;
  private closed = false;

  constructor(opts: LogFoldOptions = {}) {
    const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
    if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs < 0) {
      throw new LogFoldError('windowMs', windowMs, 'a finite number of milliseconds >= 0');
    }
    const maxPending = opts.maxPending ?? DEFAULT_MAX_PENDING;
    if (!Number.isSafeInteger(maxPending) || maxPending < 1) throw new LogFoldError('maxPending', maxPending, 'an integer >= 1');
    this.windowMs = windowMs;
    this.maxPending = maxPending;
    this.write = opts.write ?? defaultWrite;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Adds lines; lines whose window ended are written first, then these are folded in. */
  push(lines: readonly LogLine[]): void {
    if (this.closed) {
      this.emit(lines.map((l) => ({ stream: l.stream, text: l.text, deadline: 0, count: 1, sources: new Set([l.source]) })));
      return;
    }
    const now = this.now();
    const out: Pending[] = [];
    this.takeDue(now, out);
    for (const l of lines) {
      const key = `${l.stream}\0${l.text}`;
      const p = this.pending.get(key);
      if (p !== undefined) {
        p.count++;
        p.sources.add(l.source);
        continue;
      }
      if (this.pending.size >= this.maxPending) this.takeOldest(out);
      this.pending.set(key, { stream: l.stream, text: l.text, deadline: now + this.windowMs, count: 1, sources: new Set([l.source]) });
    }
    this.emit(out);
    this.schedule();
  }

  /** Writes every pending line now, whatever its window. */
  flush(): void {
    this.cancelTimer();
    const out = [...this.pending.values()];
    this.pending.clear();
    this.emit(out);
  }

  /** Flushes and stops the timer; later `push`es are written at once, unfolded. */
  close(): void {
    this.closed = true;
    this.flush();
  }

  /** Moves the lines whose window has ended (a prefix of `pending`: deadlines follow insertion order) to `out`. */
  private takeDue(now: number, out: Pending[]): void {
    for (const [key, p] of this.pending) {
      if (p.deadline > now) break;
      this.pending.delete(key);
      out.push(p);
    }
  }

  private takeOldest(out: Pending[]): void {
    const first = this.pending.entries().next();
    if (first.done === true) return;
    this.pending.delete(first.value[0]);
    out.push(first.value[1]);
  }

  /** Writes lines in order, one `write` per run of the same stream. */
  private emit(lines: readonly Pending[]): void {
    let stream: 'stdout' | 'stderr' | undefined;
    let chunk = '';
    for (const p of lines) {
      if (p.stream !== stream) {
        if (stream !== undefined && chunk !== '') this.write(stream, chunk);
        stream = p.stream;
        chunk = '';
      }
      chunk += `${prefixOf(p)}${p.text}\n`;
    }
    if (stream !== undefined && chunk !== '') this.write(stream, chunk);
  }

  /** Arms the timer for the oldest pending window (none when nothing is pending). */
  private schedule(): void {
    const head = this.pending.values().next();
    if (head.done === true) {
      this.cancelTimer();
      return;
    }
    if (this.timer !== undefined && this.timerDeadline === head.value.deadline) return;
    this.cancelTimer();
    this.timerDeadline = head.value.deadline;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, head.value.deadline - this.now()));
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = undefined;
    const out: Pending[] = [];
    this.takeDue(this.now(), out);
    try {
      this.emit(out);
    } finally {
      this.schedule();
    }
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
