/**
 * Actor lifecycle status (Monarch hyperactor/src/actor.rs `ActorStatus`).
 *
 * Invariant (enforced by `StatusCell.set`): a terminal status (Stopped, Failed) never changes
 * again; any non-terminal status may move to any status.
 */
import type { ActorError } from './errors.js';

export type ActorStatus =
  | {
      readonly kind: 'Unknown' | 'Created' | 'Initializing' | 'Client' | 'Idle' | 'Processing' | 'Stopping' | 'Stopped';
    }
  | { readonly kind: 'Failed'; readonly error: ActorError };

/** The status values (`ActorStatuses.Idle`, `ActorStatuses.failed(err)`, …). */
export const ActorStatuses = {
  Unknown: { kind: 'Unknown' } as ActorStatus,
  Created: { kind: 'Created' } as ActorStatus,
  Initializing: { kind: 'Initializing' } as ActorStatus,
  Client: { kind: 'Client' } as ActorStatus,
  Idle: { kind: 'Idle' } as ActorStatus,
  Processing: { kind: 'Processing' } as ActorStatus,
  Stopping: { kind: 'Stopping' } as ActorStatus,
  Stopped: { kind: 'Stopped' } as ActorStatus,
  failed(error: ActorError): ActorStatus {
    return { kind: 'Failed', error };
  },
} as const;

export function isTerminal(s: ActorStatus): boolean {
  return s.kind === 'Stopped' || s.kind === 'Failed';
}

export function displayStatus(s: ActorStatus): string {
  return s.kind === 'Failed' ? `Failed(${s.error.message})` : s.kind;
}

/** A watched status value. */
export class StatusCell {
  private current: ActorStatus;
  private listeners: Array<(s: ActorStatus) => void> = [];
  private terminalWaiters: Array<(s: ActorStatus) => void> = [];
  constructor(initial: ActorStatus) {
    this.current = initial;
  }
  get(): ActorStatus {
    return this.current;
  }
  /** Sets the status; setting anything after a terminal status is ignored (returns false). */
  set(s: ActorStatus): boolean {
    if (isTerminal(this.current)) return false;
    this.current = s;
    for (const l of this.listeners) l(s);
    if (isTerminal(s)) {
      const ws = this.terminalWaiters;
      this.terminalWaiters = [];
      this.listeners = [];
      for (const w of ws) w(s);
    }
    return true;
  }
  /** Calls `fn` on every change; returns an unsubscribe function. */
  watch(fn: (s: ActorStatus) => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }
  /** Resolves with the terminal status. */
  terminal(): Promise<ActorStatus> {
    if (isTerminal(this.current)) return Promise.resolve(this.current);
    return new Promise((r) => this.terminalWaiters.push(r));
  }
}
