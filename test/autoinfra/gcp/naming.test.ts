import { describe, expect, it } from 'vitest';
import { instanceNameFor, parseInstanceId, requestIdFor } from '../../../autoinfra/providers/gcp/index.js';
import { isInfrabaseError } from '../../../engine/index.js';
import { matchesFilter, parseFilter } from '../../fakes/index.js';

describe('GCE naming', () => {
  it('derives the same version-5 UUID from the same token and different ones from different tokens', () => {
    const a = requestIdFor('n-1/1');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(requestIdFor('n-1/1')).toBe(a);
    expect(requestIdFor('n-1/2')).not.toBe(a);
  });

  it('matches the RFC 4122 version-5 test vector for the DNS namespace', () => {
    expect(requestIdFor('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('names instances within the GCE name pattern, even for long or digit-led node ids', () => {
    for (const nodeId of ['n-1', '7abc', 'a'.repeat(63), `${'b'.repeat(49)}--x`]) {
      const name = instanceNameFor(nodeId, 'tok');
      expect(name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
      expect(instanceNameFor(nodeId, 'tok')).toBe(name);
      expect(instanceNameFor(nodeId, 'tok2')).not.toBe(name);
    }
  });

  it('rejects a node id GCE cannot carry as INVALID_SPEC', () => {
    expect(() => instanceNameFor('N_1', 'tok')).toThrow(expect.objectContaining({ code: 'INVALID_SPEC' }));
  });

  it('splits <zone>/<name> ids and treats any other shape as NOT_FOUND', () => {
    expect(parseInstanceId('us-central1-a/ib-n-1-0a1b2c3d')).toEqual({
      zone: 'us-central1-a',
      name: 'ib-n-1-0a1b2c3d',
    });
    try {
      parseInstanceId('i-0123456789abcdef0');
      expect.unreachable();
    } catch (err) {
      expect(isInfrabaseError(err, 'NOT_FOUND')).toBe(true);
    }
  });
});

describe('the Compute test server filter syntax', () => {
  it('parses label equality with and without quotes, AND and parentheses', () => {
    const terms = parseFilter('(labels.infrabase-cluster = "c1") AND (status != STOPPING) name=x');
    expect(terms).toEqual([
      { field: 'labels.infrabase-cluster', negate: false, value: 'c1' },
      { field: 'status', negate: true, value: 'STOPPING' },
      { field: 'name', negate: false, value: 'x' },
    ]);
    const fields: Record<string, string> = { 'labels.infrabase-cluster': 'c1', status: 'RUNNING', name: 'x' };
    expect(matchesFilter(terms, (f) => fields[f])).toBe(true);
    expect(matchesFilter(terms, (f) => ({ ...fields, status: 'STOPPING' })[f])).toBe(false);
  });

  it('rejects a filter it cannot parse with HTTP 400', () => {
    expect(() => parseFilter('labels.a ~ b')).toThrow(
      expect.objectContaining({ status: 400, reason: 'invalid' }),
    );
  });
});
