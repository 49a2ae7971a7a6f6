import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';

/**
 * A configuration object that refuses keys it does not know, naming each one, the nearest accepted key when one
 * is close (edit distance at most a third of the key's length, and at least 2) and every accepted key, e.g.
 * `unknown key 'regin' (did you mean 'region'?); accepted keys: enabled, region, endpoint, …`. loadConfig
 * prefixes the object's path.
 */
export function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const accepted = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? unknownKeysMessage(issue.keys, accepted) : undefined,
  });
}

/** The message for keys an object does not accept. Pure. */
export function unknownKeysMessage(keys: readonly string[], accepted: readonly string[]): string {
  const named = keys.map((key) => {
    const near = accepted.length > 0 ? closest(key, [...accepted]) : undefined;
    const close = near !== undefined && distance(key, near) <= Math.max(2, Math.floor(key.length / 3));
    return `'${key}'${close ? ` (did you mean '${near}'?)` : ''}`;
  });
  return `unknown key${keys.length === 1 ? '' : 's'} ${named.join(', ')}; accepted keys: ${accepted.join(', ')}`;
}
