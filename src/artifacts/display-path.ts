import { isAbsolute, relative } from 'node:path';

/** How a file is named in artifacts: relative to the workspace when inside it (portable), else absolute. */
export function displayPath(workspace: string, path: string): string {
  const rel = relative(workspace, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split('\\').join('/') : path;
}
