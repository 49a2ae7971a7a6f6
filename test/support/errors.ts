import { isInfrabaseError } from '../../engine/index.js';

/** The InfrabaseError code `fn` throws, `'not-infrabase'` for any other error, undefined when it returns. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isInfrabaseError(err) ? err.code : 'not-infrabase';
  }
  return undefined;
}
