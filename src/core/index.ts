/** Core leaf modules: identities, names, message type registry, configuration, payload codec. */
export * from './ids.js';
export * from './typeinfo.js';
export * from './name.js';
export * from './attrs.js';
export * from './config.js';
export * from './codec-errors.js';
export * from './bindings.js';
export {
  CODEC_EXT_TYPE,
  encode,
  decode,
  encodeMessage,
  decodeMessage,
  encodeBindings,
  decodeBindings,
  registerCodecClass,
  registerBindable,
  isRegisteredTag,
  type EncodedMessage,
} from './codec.js';
