// Temp folders for artifact tests, removed when the test file finishes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { QuantError, type ErrorCode } from '../../../src/errors.js';

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'mf-artifacts-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A predicate for assert.throws/rejects: a QuantError with this code (and message matching `re`). */
export function quantError(code: ErrorCode, re?: RegExp): (error: unknown) => boolean {
  return (error) => {
    if (!(error instanceof QuantError)) throw new Error(`expected QuantError ${code}, got ${String(error)}`);
    if (error.code !== code) throw new Error(`expected ${code}, got ${error.code}: ${error.message}`);
    if (re !== undefined && !re.test(error.message))
      throw new Error(`message ${JSON.stringify(error.message)} does not match ${re}`);
    return true;
  };
}
