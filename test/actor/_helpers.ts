// Shared test fixtures for the actor tests (not a test file itself).
import { ProcId } from '../../src/core/ids.js';
import { Proc, type ActorSupervisionEvent } from '../../src/actor/index.js';

let n = 0;
/** A fresh proc with a unique ranked id and a coordinator collecting events. */
export function testProc(): { proc: Proc; events: ActorSupervisionEvent[]; nextEvent: () => Promise<ActorSupervisionEvent> } {
  const proc = new Proc(ProcId.ranked(`test${process.pid}_${n++}`, 0));
  const events: ActorSupervisionEvent[] = [];
  const waiters: Array<(e: ActorSupervisionEvent) => void> = [];
  proc.setSupervisionCoordinator((e) => {
    const w = waiters.shift();
    if (w) w(e);
    else events.push(e);
  });
  proc.setExitHook((_code, ev, reason) => {
    throw new Error(`unexpected process exit: ${reason}: ${ev}`);
  });
  return {
    proc,
    events,
    nextEvent: () => {
      const e = events.shift();
      if (e) return Promise.resolve(e);
      return new Promise((r) => waiters.push(r));
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export { within } from '../_support/within.js';
