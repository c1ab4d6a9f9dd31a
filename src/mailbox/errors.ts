/**
 * Typed errors of the mailbox layer (Monarch hyperactor/src/mailbox.rs `DeliveryError`, `MailboxError`): delivery failures recorded on
 * envelopes, mailbox errors (closed ports, receive timeouts) and sender errors.
 */
import { ActormeshError } from '../base/errors.js';

/** The five ways a message can fail to reach its port (Monarch's `DeliveryError`). */
export type DeliveryErrorKind = 'Unroutable' | 'BrokenLink' | 'Mailbox' | 'Multicast' | 'TtlExpired';

export const DELIVERY_ERROR_KINDS: readonly DeliveryErrorKind[] = ['Unroutable', 'BrokenLink', 'Mailbox', 'Multicast', 'TtlExpired'];

/**
 * One delivery failure recorded on an envelope. Plain data (kind + message) so that it encodes
 * on the wire as is.
 */
export interface DeliveryError {
  readonly kind: DeliveryErrorKind;
  readonly message: string;
}

export function deliveryError(kind: DeliveryErrorKind, message: string): DeliveryError {
  return { kind, message };
}

/** Display as Monarch does: `unroutable: <msg>`, `broken link: <msg>`, ... */
export function displayDeliveryError(e: DeliveryError): string {
  switch (e.kind) {
    case 'Unroutable':
      return `address not routable: ${e.message}`;
    case 'BrokenLink':
      return `broken link: ${e.message}`;
    case 'Mailbox':
      return `mailbox error: ${e.message}`;
    case 'Multicast':
      return `multicast error: ${e.message}`;
    case 'TtlExpired':
      return `message ttl expired: ${e.message}`;
  }
}

/** Variants of `MailboxError` (Monarch's `MailboxErrorKind`), with ours: `UnknownReducer`. */
export type MailboxErrorVariant = 'Closed' | 'Recv' | 'Timeout' | 'Unbound' | 'AlreadyBound' | 'Other' | 'UnknownReducer';

/** `MailboxError{actor, kind}`: an operation on a mailbox or port failed. */
export class MailboxError extends ActormeshError<'MailboxError', MailboxErrorVariant> {
  /** Display form of the actor (or port, or operation) the error concerns. */
  readonly location: string;
  constructor(variant: MailboxErrorVariant, location: string, message: string, options?: { cause?: unknown }) {
    super('MailboxError', variant, `${location}: ${message}`, options);
    this.location = location;
  }
}

/** The port (or mailbox) was closed: its receiver was dropped or its actor stopped. */
export class PortClosedError extends MailboxError {
  constructor(location: string) {
    super('Closed', location, 'mailbox closed');
  }
}

/** A receive or request did not complete in time. */
export class TimeoutError extends MailboxError {
  readonly timeoutMs: number;
  readonly what: string;
  constructor(what: string, timeoutMs: number) {
    super('Timeout', what, `timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
    this.what = what;
  }
}

/** Variants of `MailboxSenderError` (Monarch's `MailboxSenderErrorKind`), with ours: `UnhandledMessageType`. */
export type MailboxSenderErrorVariant = 'Serialize' | 'Closed' | 'Channel' | 'Other' | 'UnhandledMessageType';

/** `MailboxSenderError{location, kind}`: a message could not be posted. */
export class MailboxSenderError extends ActormeshError<'MailboxSenderError', MailboxSenderErrorVariant> {
  readonly location: string;
  constructor(variant: MailboxSenderErrorVariant, location: string, message: string, options?: { cause?: unknown }) {
    super('MailboxSenderError', variant, `failed to post to ${location}: ${message}`, options);
    this.location = location;
  }
}

/**
 * `UndeliverableMessageError`: `DeliveryFailure` when a message the actor sent came back
 * undeliverable (the actor's default reaction: fail), `ReturnFailure` when returning it failed.
 */
export class UndeliverableMessageError extends ActormeshError<'UndeliverableMessageError', 'DeliveryFailure' | 'ReturnFailure'> {
  readonly sender: string;
  readonly dest: string;
  readonly errors: readonly DeliveryError[];
  constructor(variant: 'DeliveryFailure' | 'ReturnFailure', sender: string, dest: string, errors: readonly DeliveryError[]) {
    const why = errors.length ? `: ${errors.map(displayDeliveryError).join('; ')}` : '';
    super(
      'UndeliverableMessageError',
      variant,
      variant === 'DeliveryFailure'
        ? `a message from ${sender} to ${dest} was undeliverable and returned${why}`
        : `a message from ${sender} to ${dest} was undeliverable and could not be returned${why}`,
    );
    this.sender = sender;
    this.dest = dest;
    this.errors = errors;
  }
}
