/**
 * The network module: WireGuard keys (the private key never leaves the node), IPAM over the mesh CIDR, peer
 * planning per topology and config rendering, the driver that applies configs with `wg`/`ip` (kernel
 * WireGuard or wireguard-go), and mesh membership (joins, peer lists, key rotations, the control plane's hub).
 * The control plane and the node agent call it.
 */
export * from './ipam/index.js';
export * from './keys/index.js';
export { isLocalOnlyHost } from './local-host.js';
export * from './mesh/index.js';
export * from './wireguard/index.js';
