/**
 * Workspace confinement, carried by the async context of a call. Inside `runConfined(root, fn)` every
 * file the artifacts layer and the stages open for reading or writing must resolve inside `root`,
 * lexically and after symlinks, whatever route named it: a param, a manifest entry, a pinned run, a cache
 * entry, a link inside a run folder. The MCP server runs every request this way; the SDK runs a stage or
 * pipeline this way with the option `confine`. Outside such a call the checks are one lookup and allow
 * everything: paths given on a command line are the user's own.
 *
 * The policy travels in an AsyncLocalStorage rather than as a parameter because the readers sit many
 * calls below the entry points (manifest → sleeve run → stream → table); a policy that every call had to
 * hand down would be lost by the first call that forgets it, and then nothing would say so.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { resolve } from 'node:path';
import { QuantError } from '../errors.js';
import { displayPath } from './display-path.js';
import { isPathInside, realpathOfExistingPrefix, realpathOfExistingPrefixSync } from './resolve-inside.js';

/** What a confined call does with a file. */
export type FileAccess = 'read' | 'write' | 'open';

interface Confinement {
  /** Absolute root as given. */
  readonly root: string;
  /** Its real path (symlinks of the root itself resolved once, when the confinement starts). */
  readonly realRoot: string;
}

const scope = new AsyncLocalStorage<Confinement>();

/** The folder the current call is confined to, or undefined when it is not confined. */
export function confinementRoot(): string | undefined {
  return scope.getStore()?.root;
}

function refused(c: Confinement, target: string, access: FileAccess, real: string | undefined): QuantError {
  const shown = displayPath(c.root, target);
  const why =
    real === undefined
      ? `it lies outside the workspace ${c.root}`
      : `it resolves through a symlink to ${real}, outside the workspace ${c.root}`;
  const verb = access === 'open' ? 'open' : access;
  return new QuantError('E_PATH_ESCAPE', `refused to ${verb} ${shown}: ${why}`, {
    location: { file: shown },
    hint: 'this call only reads and writes inside its workspace (the MCP server, or the SDK option confine); keep the file there, not behind a symlink pointing out',
    details: {
      path: target,
      access,
      workspace: c.root,
      ...(real === undefined ? {} : { resolves_to: real }),
    },
  });
}

/**
 * Run `fn` confined to `root`: every {@link assertConfined} check inside it (at any depth of async
 * calls) refuses a path outside `root`. A confinement inside another must lie within it.
 */
export async function runConfined<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const absRoot = resolve(root);
  const outer = scope.getStore();
  if (outer !== undefined) await assertConfined(absRoot, 'open');
  const realRoot = await realpathOfExistingPrefix(absRoot);
  return scope.run({ root: absRoot, realRoot }, fn);
}

/**
 * In a confined call, refuse (`E_PATH_ESCAPE`, naming the file and where it leads) a path outside the
 * root: lexically, or through a symlink of the path or of any existing parent. A no-op otherwise.
 * Checked right before the file is opened, so the answer is about the file actually read or written.
 */
export async function assertConfined(path: string, access: FileAccess): Promise<void> {
  const c = scope.getStore();
  if (c === undefined) return;
  const target = resolve(path);
  if (!isPathInside(c.root, target)) throw refused(c, target, access, undefined);
  const real = await realpathOfExistingPrefix(target);
  if (!isPathInside(c.realRoot, real)) throw refused(c, target, access, real);
}

/** Synchronous {@link assertConfined}, for path resolution that cannot wait (`StageContext.resolvePath`). */
export function assertConfinedSync(path: string, access: FileAccess): void {
  const c = scope.getStore();
  if (c === undefined) return;
  const target = resolve(path);
  if (!isPathInside(c.root, target)) throw refused(c, target, access, undefined);
  const real = realpathOfExistingPrefixSync(target);
  if (!isPathInside(c.realRoot, real)) throw refused(c, target, access, real);
}
