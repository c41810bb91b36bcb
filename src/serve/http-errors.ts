/**
 * Coded errors as HTTP answers: `{ error: { code, message, hint?, details? } }` with a status that fits
 * the code. Anything that is not a QuantError is `E_INTERNAL` 500, its message kept out of the answer.
 */
import { realpathSync } from 'node:fs';
import { basename, resolve } from 'node:path';
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

/** A text as the API shows it: the workspace's absolute path taken out (see {@link workspaceRelative}). */
export type ShownText = (text: string) => string;

/**
 * Paths inside `workspace` written relative to it (`/home/u/ws/runs/x` → `runs/x`), and the workspace
 * itself by its folder name, as the app's header names it: an answer does not tell where the workspace
 * lies on the machine. The CLI keeps its absolute paths (the user typed them); its errors are the same
 * objects, rewritten here only as they are serialised.
 */
export function workspaceRelative(workspace: string): ShownText {
  const roots = new Set([resolve(workspace)]);
  try {
    roots.add(realpathSync(workspace));
  } catch {
    // not there (any more): its given path is all there is to hide
  }
  const patterns = [...roots]
    .sort((a, b) => b.length - a.length)
    .map(
      // `<root>/<more>` loses `<root>/`; `<root>` alone (not the start of a longer name) becomes its name.
      (root) =>
        new RegExp(`${root.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}(?:(/)(?=[^/\\s])|(?![\\w.-]))`, 'g'),
    );
  const name = basename(resolve(workspace));
  return (text) =>
    patterns.reduce(
      (t, p) => t.replace(p, (_, slash: string | undefined) => (slash === undefined ? name : '')),
      text,
    );
}

/** Every string inside a JSON value, rewritten by `shown`. */
function shownJson(value: unknown, shown: ShownText): unknown {
  if (typeof value === 'string') return shown(value);
  if (Array.isArray(value)) return value.map((v) => shownJson(v, shown));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shownJson(v, shown)]));
  return value;
}

/** The JSON body of a coded error. */
function errorBody(error: QuantError, shown: ShownText): ApiError {
  return {
    error: {
      code: error.code,
      message: shown(printable(error.message)),
      ...(error.hint === undefined ? {} : { hint: shown(printable(error.hint)) }),
      ...(Object.keys(error.details).length === 0
        ? {}
        : { details: shownJson(error.details, shown) as Record<string, unknown> }),
    },
  };
}

/** A thrown value as status and body, paths in the workspace shown by `shown`. */
export function errorAnswer(error: unknown, shown: ShownText = (t) => t): { status: number; body: ApiError } {
  if (isQuantError(error)) return { status: httpStatus(error.code), body: errorBody(error, shown) };
  return {
    status: 500,
    body: { error: { code: 'E_INTERNAL', message: 'internal error; the server log has the details' } },
  };
}
