import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../engine/index.js';
import { prometheusTargets } from '../../metrics/index.js';

describe('Prometheus http_sd targets', () => {
  it('lists the control plane, then ready nodes with an agent address by id, labelled node_id/role/provider', () => {
    const db = openDatabase(':memory:', { migrate: true });
    try {
      const insert = db.prepare(
        'INSERT INTO sys_nodes (id, provider, role, status, endpoint) VALUES (?, ?, ?, ?, ?)',
      );
      insert.run('n-b', 'aws', 'compute', 'ready', '10.0.0.2:7500');
      insert.run('n-a', 'local', 'data', 'ready', '127.0.0.1:40001');
      insert.run('n-c', 'local', 'data', 'booting', '127.0.0.1:40002');
      insert.run('n-d', 'local', 'data', 'unreachable', '127.0.0.1:40003');
      insert.run('n-e', 'local', 'data', 'ready', null);
      expect(prometheusTargets(db, 'cp.example:7420')).toEqual([
        { targets: ['cp.example:7420'], labels: { role: 'control-plane' } },
        { targets: ['127.0.0.1:40001'], labels: { node_id: 'n-a', role: 'data', provider: 'local' } },
        { targets: ['10.0.0.2:7500'], labels: { node_id: 'n-b', role: 'compute', provider: 'aws' } },
      ]);
    } finally {
      db.close();
    }
  });
});
