import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (recorded in run.json and cache keys). */
export const TOOL_VERSION: string = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
})();
