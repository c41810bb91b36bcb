/**
 * Coded errors as HTTP answers: `{ error: { code, message, hint?, details? } }` with a status that fits
 * the code. Anything that is not a QuantError is `E_INTERNAL` 500, its message kept out of the answer.
 */
import { isQuantError, printable, type QuantError } from '../errors.js';
import type { ApiError } from './api-types.js';

const STATUS: Readonly<Record<string, number>> = {
  E_TOKEN: 401,
  E_ORIGIN: 403,
  E_HOST: 403,
  E_PATH_ESCAPE: 403,
  E_SERVE_READ_ONLY: 403,
  E_NOT_FOUND: 404,
  E_RUN_NOT_FOUND: 404,
  E_ARTIFACT_MISSING: 404,
  E_UNKNOWN_PROFILE: 404,
  E_RUN_EXISTS: 409,
  E_RUN_LOCKED: 409,
  E_READ_ONLY: 500,
  E_PERMISSION: 500,
  E_DISK_FULL: 507,
  E_WORKSPACE_IO: 500,
};

/** The HTTP status of a coded error: its own, else 400 (the request named something invalid). */
function httpStatus(code: string): number {
  return STATUS[code] ?? 400;
}

/** The JSON body of a coded error. */
function errorBody(error: QuantError): ApiError {
  return {
    error: {
      code: error.code,
      message: printable(error.message),
      ...(error.hint === undefined ? {} : { hint: printable(error.hint) }),
      ...(Object.keys(error.details).length === 0 ? {} : { details: error.details }),
    },
  };
}

/** A thrown value as status and body. */
export function errorAnswer(error: unknown): { status: number; body: ApiError } {
  if (isQuantError(error)) return { status: httpStatus(error.code), body: errorBody(error) };
  return {
    status: 500,
    body: { error: { code: 'E_INTERNAL', message: 'internal error; the server log has the details' } },
  };
}
