import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../control-plane/client/index.js';
import { loadCsv } from '../../control-plane/tables/index.js';
import { tempDir } from '../support/tmp.js';

/** A client that records the requests loadCsv makes and answers as the control plane would. */
function recordingClient() {
  const calls: { path: string; body: { rows?: unknown[][] } }[] = [];
  const client = {
    async request(_method: string, path: string, body: { rows?: unknown[][] }) {
      calls.push({ path, body });
      if (path.endsWith('/create')) return { nodes: ['n1'] };
      return { rows: { n1: body.rows?.length ?? 0 } };
    },
  } as unknown as ApiClient;
  return { client, calls };
}

describe('loadCsv reads .gz files', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('gunzips a .csv.gz as it streams, the same rows as the plain file', async () => {
    const csv = 'a,b\n1,x\n2,y\n3,z\n';
    const file = join(tmp.dir, 't.csv.gz');
    writeFileSync(file, gzipSync(csv));
    const { client, calls } = recordingClient();
    const result = await loadCsv(client, 't', file);
    expect(result.rows).toBe(3);
    expect(calls.map((c) => c.path)).toEqual(['/v1/tables/t/create', '/v1/tables/t/rows']);
    expect(calls[1].body.rows).toEqual([
      [1, 1, 'x'],
      [2, 2, 'y'],
      [3, 3, 'z'],
    ]);
  });

  it('refuses a .gz that is not gzip with INVALID_ARGUMENT naming the file, before any request', async () => {
    const file = join(tmp.dir, 'bad.csv.gz');
    writeFileSync(file, 'a,b\n1,2\n');
    const { client, calls } = recordingClient();
    await expect(loadCsv(client, 't', file)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(`cannot gunzip ${file}`),
    });
    expect(calls).toEqual([]);
  });
});
