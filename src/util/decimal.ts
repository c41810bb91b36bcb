/**
 * A number as a person writes it in a table cell or on a command line: a plain decimal (`1e6`,
 * `250000.50`, `-0.5`, `.5`). Not `0x10`, `0b11`, `0o7`, `Infinity`, `NaN` or an empty string, all of
 * which `Number()` would take.
 */
const DECIMAL_NUMBER = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/**
 * The value of a plain decimal, or undefined when `text` is not one. A decimal too large for a double
 * (`1e400`) is ±Infinity: callers say "out of range" rather than "not a number".
 */
export function parseDecimal(text: string): number | undefined {
  return DECIMAL_NUMBER.test(text) ? Number(text) : undefined;
}
