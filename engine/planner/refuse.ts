/** The planner's refusal of a statement shape it cannot answer exactly. @internal */
import { InfrabaseError } from '../errors.js';

/** What the planner answers, quoted in every refusal. */
export const SUPPORTED_SHAPES =
  'supported over distributed tables: filters, projections, scalar functions and PREDICT; count, sum, total, ' +
  'min, max, avg (and their DISTINCT forms over one argument) with GROUP BY/HAVING; ORDER BY with ' +
  'LIMIT/OFFSET; DISTINCT; UNION [ALL]; subqueries in FROM; WITH (each CTE named once); joins of one colocation group on their shard ' +
  'keys and joins with reference tables';

/** InfrabaseError('INVALID_ARGUMENT') naming the unsupported `shape` and what is supported. */
export function refuse(shape: string): InfrabaseError {
  return new InfrabaseError(
    'INVALID_ARGUMENT',
    `not supported over distributed tables: ${shape}; ${SUPPORTED_SHAPES}`,
    {
      details: { unsupported: shape },
    },
  );
}
