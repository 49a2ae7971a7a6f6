import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { InfrabaseError } from '../../../engine/index.js';
import { NodeKeyStore } from '../../../network/index.js';
import { jsonOption, type OutputFlags, printResult } from '../output.js';

/**
 * `infrabase mesh rotate-key --data-dir DIR`, run on a node: stages the node's next WireGuard key
 * (`<dir>/wireguard.next.key`, mode 0600) and prints its public key. The running agent advertises it with its
 * next heartbeat; once every peer applied it, the control plane schedules the switch and every side moves to
 * the new key at that instant (the overlap scheme of docs/mesh.md). Repeating the command while a rotation
 * is under way keeps the key already staged. The private key is never printed or sent.
 * @throws InfrabaseError `NOT_FOUND` when the dir holds no current key (not a node's data dir, e.g. a typo):
 *   nothing is created there.
 */
export function registerMesh(program: Command): void {
  const mesh = program.command('mesh').description('the WireGuard mesh of this node');
  jsonOption(
    mesh
      .command('rotate-key')
      .description(
        "rotate this node's WireGuard key without cutting traffic (stage, then switch everywhere at once)",
      )
      .requiredOption('--data-dir <dir>', "the node's data dir (holds wireguard.key)"),
  ).action((opts: OutputFlags & { dataDir: string }) => {
    const store = new NodeKeyStore(opts.dataDir);
    if (!existsSync(store.currentPath)) {
      throw new InfrabaseError(
        'NOT_FOUND',
        `no WireGuard key at ${store.currentPath}: --data-dir must be the data dir of a node whose agent ` +
          'has joined the mesh (nothing was created)',
      );
    }
    const current = store.current().publicKey;
    const already = store.stagedPublicKey();
    const next = store.stageNext();
    printResult(
      opts,
      () => ({ current, next, alreadyStaged: Boolean(already) }),
      () =>
        `${already ? 'rotation already staged' : 'staged next key'}: ${current} -> ${next}\n` +
        'the agent advertises it with its next heartbeat; every side switches once all peers applied it',
    );
  });
}
