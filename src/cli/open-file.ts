import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Env } from '../util/env.js';

/** The program that opens a file with the user's default application on this platform. */
function platformOpener(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return 'open';
  if (platform === 'win32') return 'cmd';
  return 'xdg-open';
}

/** The first executable file `name` in the folders of `PATH` (with `PATHEXT` on Windows), if any. */
function findOnPath(name: string, env: Env): string | undefined {
  const dirs = (env['PATH'] ?? env['Path'] ?? '').split(delimiter).filter((d) => d !== '');
  const exts = process.platform === 'win32' ? (env['PATHEXT'] ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const file = join(dir, name + ext);
      try {
        if (!statSync(file).isFile()) continue;
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here: try the next folder
      }
    }
  }
  return undefined;
}

export type OpenOutcome =
  | { readonly opened: true; readonly opener: string }
  | { readonly opened: false; readonly opener: string; readonly reason: string };

/**
 * Open `file` with the platform's opener (`xdg-open`, `open`, `start`), found on `PATH`, and wait until
 * the opener has handed the file over (it exits). A missing opener, one that cannot start or one that
 * fails is an outcome, not an error: the caller still has the path to show.
 */
export async function openWithPlatformOpener(file: string, env: Env): Promise<OpenOutcome> {
  const opener = platformOpener();
  const program = findOnPath(opener, env);
  if (program === undefined) return { opened: false, opener, reason: `no opener found (${opener})` };
  const args = opener === 'cmd' ? ['/d', '/s', '/c', `start "" "${file}"`] : [file];
  return new Promise((resolvePromise) => {
    const child = spawn(program, args, {
      env,
      stdio: 'ignore',
      windowsVerbatimArguments: opener === 'cmd',
    });
    child.on('error', (error) =>
      resolvePromise({ opened: false, opener, reason: `${opener} could not start (${error.message})` }),
    );
    child.on('exit', (code, signal) =>
      resolvePromise(
        code === 0
          ? { opened: true, opener }
          : { opened: false, opener, reason: `${opener} failed (${signal ?? `exit ${String(code)}`})` },
      ),
    );
  });
}
