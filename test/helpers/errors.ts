import assert from 'node:assert/strict';
import { QuantError } from '../../src/errors.js';

/** Run `fn`, assert it throws a QuantError, and return it. */
export function caughtQuantError(fn: () => unknown): QuantError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof QuantError, `a QuantError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a QuantError, nothing was thrown');
}
