/** WireGuard: peer planning per topology, config rendering (setconf, wg-quick), the driver and its support check. */
export { type CommandOptions, type CommandResult, type CommandRunner, runCommand } from './command.js';
export {
  type DriverOptions,
  type InterfaceSpec,
  WIREGUARD_SOCKET_DIR,
  WireGuardDriver,
  type WireGuardImplementation,
} from './driver.js';
export { parseWgDump, type WireGuardDump, type WireGuardDumpPeer } from './dump.js';
export {
  type MeshMember,
  type MeshTopology,
  type PeerPlanInput,
  planPeers,
  type WireGuardPeer,
} from './peers.js';
export {
  PRIVATE_KEY_PLACEHOLDER,
  renderSetconf,
  renderWgQuick,
  type SetconfInterface,
  type WgQuickInterface,
} from './render.js';
export {
  decideMeshSupport,
  detectMeshSupport,
  type MeshMode,
  type MeshSupport,
  type MeshSupportProbe,
  probeMeshSupport,
  which,
} from './support.js';
