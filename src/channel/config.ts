/**
 * Channel tunables in one place. The four Monarch keys (hyperactor/src/config.rs `MESSAGE_ACK_EVERY_N_MESSAGES`,
 * `MESSAGE_ACK_TIME_INTERVAL`, `MESSAGE_DELIVERY_TIMEOUT`, `CODEC_MAX_FRAME_LENGTH`) come from the layered runtime
 * config (`src/core/config.ts`, env vars HYPERACTOR_*); the rest are actormesh's flow-control
 * bounds. Every value can be overridden per `serve`/`dial` call through its options.
 */
import { config, CODEC_MAX_FRAME_LENGTH, MESSAGE_ACK_EVERY_N_MESSAGES, MESSAGE_ACK_TIME_INTERVAL, MESSAGE_DELIVERY_TIMEOUT } from '../core/config.js';

export interface ChannelConfig {
  /** MESSAGE_ACK_EVERY_N_MESSAGES: the server acks after this many messages… */
  ackEveryN: number;
  /** MESSAGE_ACK_TIME_INTERVAL (ms): …or after this long, whichever first. */
  ackIntervalMs: number;
  /** MESSAGE_DELIVERY_TIMEOUT (ms): a Tx whose oldest pending message is older closes. */
  deliveryTimeoutMs: number;
  /** CODEC_MAX_FRAME_LENGTH (bytes): the largest WebSocket message accepted (uWS maxPayloadLength). */
  maxFrameLength: number;
  /** Byte budget of one coalesced Messages frame. */
  batchBytes: number;
  /** A Tx stops sending when this many bytes are sent but unacknowledged. */
  windowBytes: number;
  /** `post` returns false above this many undelivered bytes. */
  highWaterBytes: number;
  /** Soft capacity (messages) of an Rx queue; acks are held back while it is full. */
  rxCapacity: number;
  /** Frames handed to the socket and not yet written, per connection. */
  maxWritesInFlight: number;
}

export function channelConfig(): ChannelConfig {
  return {
    ackEveryN: config.get(MESSAGE_ACK_EVERY_N_MESSAGES),
    ackIntervalMs: config.get(MESSAGE_ACK_TIME_INTERVAL),
    deliveryTimeoutMs: config.get(MESSAGE_DELIVERY_TIMEOUT),
    // Spec default is 10 GiB; uWS takes a 32-bit length, so the effective cap is 2 GiB - 1.
    maxFrameLength: Math.min(config.get(CODEC_MAX_FRAME_LENGTH), 0x7fffffff),
    batchBytes: 256 * 1024,
    windowBytes: 16 * 1024 * 1024,
    highWaterBytes: 32 * 1024 * 1024,
    rxCapacity: 100_000,
    maxWritesInFlight: 16,
  };
}
