/** WireGuard keys: X25519 key pairs, 0600 key files in the node's data dir, and key rotation with overlap. */
export {
  loadOrCreateKeyPair,
  PRIVATE_KEY_MODE,
  readPrivateKeyFile,
  writePrivateKeyFile,
} from './key-file.js';
export {
  decodeWireGuardKey,
  generateKeyPair,
  isWireGuardKey,
  publicKeyFromPrivate,
  type WireGuardKeyPair,
} from './key-pair.js';
export { CURRENT_KEY_FILE, NEXT_KEY_FILE, NodeKeyStore } from './key-store.js';
export {
  completeRotation,
  type KeyedPeerEntry,
  localKeyAt,
  type NodeKeyState,
  nextKeyChangeAt,
  peerEntriesFor,
  type RotationPhase,
  rotationPhase,
  scheduleActivation,
} from './rotation-plan.js';
