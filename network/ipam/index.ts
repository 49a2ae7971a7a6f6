/** IPAM: mesh addresses for nodes from a configurable IPv4 CIDR (pure allocator plus the catalog shell). */
export { MAX_MESH_PREFIX, MeshAllocator, type MeshPool, meshPool, nextMeshAddress } from './allocator.js';
export { cidrContains, type Ipv4Cidr, intToIpv4, ipv4ToInt, parseCidr } from './cidr.js';
export {
  MESH_IPAM_SCHEMA,
  type MeshAddressWriter,
  meshIpamExtension,
  SqliteMeshIpam,
} from './sqlite-ipam.js';
