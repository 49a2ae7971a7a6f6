import { LocalProvider } from '../../autoinfra/index.js';
import { clusterIdOf } from '../../control-plane/index.js';

/**
 * Stops every local agent process the cluster in `dataDir` owns (2 s grace before SIGKILL), ignoring ones
 * already gone — the clean-up a test runs after it, even after a failure, so no agent outlives it.
 */
export async function stopLocalAgents(dataDir: string): Promise<void> {
  const provider = new LocalProvider({ dataDir, clusterId: clusterIdOf(dataDir), stopGraceMs: 2000 });
  const signal = new AbortController().signal;
  for (const i of await provider.listOwned(signal))
    await provider.delete(i.id, signal).catch(() => undefined);
}
