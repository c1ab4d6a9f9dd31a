import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseActorId } from '../../src/core/ids.js';
import { MESSAGE_TTL_DEFAULT, config } from '../../src/core/config.js';
import { MessageEnvelope, EMPTY_HEADERS, NO_ERRORS, deliveryError, defaultTtl, UndeliverableMessageError } from '../../src/mailbox/index.js';

const sender = parseActorId('quux[0].foo[0]');
const dest = parseActorId('corge[0].bar[0]').port(9999);

test('an envelope displays sender, destination, type, size, TTL and errors', () => {
  const e = new MessageEnvelope(sender, dest, new Uint8Array(3), 'Ping');
  assert.equal(String(e), 'quux[0].foo[0] > corge[0].bar[0][9999]: Ping{3 bytes} ttl=64');
  e.recordError(deliveryError('Unroutable', 'no route'));
  assert.equal(String(e), 'quux[0].foo[0] > corge[0].bar[0][9999]: Ping{3 bytes} ttl=64 errors=[address not routable: no route]');
});

test('new envelopes take their TTL from MESSAGE_TTL_DEFAULT', () => {
  const o = config.override(MESSAGE_TTL_DEFAULT, 3);
  try {
    assert.equal(defaultTtl(), 3);
    assert.equal(new MessageEnvelope(sender, dest, new Uint8Array(), 'x').ttl, 3);
  } finally {
    o.restore();
  }
  assert.equal(new MessageEnvelope(sender, dest, new Uint8Array(), 'x').ttl, 64);
  // every kind of config change is seen by the cached default (runtime layer, then env reload)
  config.set('Runtime', MESSAGE_TTL_DEFAULT, 7);
  try {
    assert.equal(new MessageEnvelope(sender, dest, new Uint8Array(), 'x').ttl, 7);
  } finally {
    config.unset('Runtime', MESSAGE_TTL_DEFAULT);
  }
  assert.equal(new MessageEnvelope(sender, dest, new Uint8Array(), 'x').ttl, 64);
  config.reloadEnv({ HYPERACTOR_MESSAGE_TTL_DEFAULT: '9' });
  try {
    assert.equal(new MessageEnvelope(sender, dest, new Uint8Array(), 'x').ttl, 9);
  } finally {
    config.reloadEnv(process.env);
  }
  assert.equal(new MessageEnvelope(sender, dest, new Uint8Array(), 'x').ttl, 64);
});

test('headers and errors are copy-on-write: shared empties are never mutated', () => {
  const a = new MessageEnvelope(sender, dest, new Uint8Array(), 'x');
  const b = a.withHeader('k', new Uint8Array([1]));
  assert.equal(a.headers, EMPTY_HEADERS);
  assert.deepEqual([...b.headers.keys()], ['k']);
  a.recordError(deliveryError('Mailbox', 'closed'));
  assert.equal(b.errors, NO_ERRORS);
  assert.equal(NO_ERRORS.length, 0);
  assert.equal(a.errors.length, 1);
});

test('the delivery failure message names sender and destination as Monarch does', () => {
  const e = new UndeliverableMessageError('DeliveryFailure', String(sender), String(dest), []);
  assert.equal(e.message, 'a message from quux[0].foo[0] to corge[0].bar[0][9999] was undeliverable and returned');
  assert.equal(e.variant, 'DeliveryFailure');
});
