import { InvalidArgumentError } from 'commander';

/**
 * Commander argument parsers for numeric flags: a bad value stops the command before any request, with
 * commander's "option '--rounds <n>' argument 'abc' is invalid." followed by what is accepted (exit code 2, or the JSON error with `--json`).
 */

/** An integer in [min, max] (max default: the largest safe integer). */
export function integerFlag(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `Expected an integer >= ${min}.`
          : `Expected an integer ${min}-${max}.`,
      );
    }
    return n;
  };
}

/** A finite number greater than `above` and at most `max` (default: no upper bound). */
export function numberFlag(above: number, max = Number.POSITIVE_INFINITY): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= above || n > max) {
      throw new InvalidArgumentError(
        max === Number.POSITIVE_INFINITY
          ? `Expected a number > ${above}.`
          : `Expected a number > ${above} and <= ${max}.`,
      );
    }
    return n;
  };
}
