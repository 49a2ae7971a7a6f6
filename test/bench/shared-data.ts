import { resolve } from 'node:path';
import { repoRoot } from '../support/data.js';

/**
 * The larger data set some benchmarks read beyond examples/ (see its PROVENANCE.md): `../shared/data` beside the
 * repository when present; `INFRABASE_BENCH_SHARED_DATA` overrides it. Benchmarks only: tests read examples/.
 */
export const SHARED_DATA = process.env.INFRABASE_BENCH_SHARED_DATA ?? resolve(repoRoot(), '../shared/data');
