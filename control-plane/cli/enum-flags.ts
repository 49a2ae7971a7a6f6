import { Option } from 'commander';

/**
 * A flag that takes one of a fixed set of values, checked before any request (commander's `choices`): a bad
 * value stops the command with "option '--type <type>' argument 'x' is invalid. Allowed choices are logistic,
 * softmax, linear, mlp." (exit code 2, or the JSON error with `--json`). `--help` lists the choices and the
 * default.
 * @param choices the accepted values, e.g. a catalog constant such as `TRAINING_MODEL_TYPES`.
 * @param defaultValue the value when the flag is absent (shown in `--help`); undefined: none.
 */
export function enumOption(
  flags: string,
  description: string,
  choices: readonly string[],
  defaultValue?: string,
): Option {
  const option = new Option(flags, description).choices(choices);
  return defaultValue === undefined ? option : option.default(defaultValue);
}
