/**
 * SQL for the agent address of a row with agent port `port`: the reported `@endpoint` when it is one of
 * `mesh_ip:port`, `private_ip:port`, `public_ip:port` (the node picks mesh or direct, nothing else); otherwise
 * the current `endpoint` when it is still one of them; otherwise `private_ip:port`; NULL while unknown.
 */
export function agentEndpointSql(port: string): string {
  const own = (e: string) =>
    `(${port} IS NOT NULL AND ${e} IN (mesh_ip || ':' || ${port}, private_ip || ':' || ${port}, public_ip || ':' || ${port}))`;
  return `CASE WHEN ${own('@endpoint')} THEN @endpoint WHEN ${own('endpoint')} THEN endpoint
    WHEN ${port} IS NOT NULL AND private_ip IS NOT NULL THEN private_ip || ':' || ${port} ELSE NULL END`;
}

/** The port of a reported `host:port` (1-65535, parsed as a URL authority), or null. */
export function agentPort(endpoint: string | undefined): number | null {
  if (!endpoint) return null;
  let port: number;
  try {
    port = Number(new URL(`http://${endpoint}`).port);
  } catch {
    return null;
  }
  return port >= 1 && port <= 65535 ? port : null;
}
