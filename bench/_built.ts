// The numeric code as users run it: the built package (dist/, tsc's ES modules), not the TypeScript
// sources through tsx, whose module transform turns every use of an imported binding into a getter call
// (1.2-1.6x slower in the active-set solvers at 200 assets). `npm run bench` builds first when src/
// changed (scripts/build.mjs --if-stale).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = fileURLToPath(new URL('../dist', import.meta.url));

/** The module at `path` under dist/ (typed by the caller as its source's `typeof import(...)`). */
export async function built<T>(path: string): Promise<T> {
  const file = resolve(dist, path);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  return (await import(pathToFileURL(file).href)) as T;
}
