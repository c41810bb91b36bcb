// The predecessor fixtures (test/fixtures/predecessor/, written by its generate.ts): run folders and a
// configs/manifest.json exactly as the Python predecessor lays them out. Tests copy them into a
// temporary workspace, never write into the fixtures.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PREDECESSOR_FIXTURES = fileURLToPath(new URL('../fixtures/predecessor/', import.meta.url));
export const PREDECESSOR_MANIFEST = join(PREDECESSOR_FIXTURES, 'configs', 'manifest.json');

/** Copy the named predecessor runs into `<workspace>/runs/`; returns the workspace. */
export function copyPredecessorRuns(workspace: string, runIds: readonly string[]): string {
  for (const id of runIds)
    cpSync(join(PREDECESSOR_FIXTURES, 'runs', id), join(workspace, 'runs', id), { recursive: true });
  return workspace;
}

/** The four sleeves `meta_crypto_only` pins in the predecessor manifest. */
export const CRYPTO_ONLY_RUNS = [
  'rerun_v3_long_all',
  'rerun_v3_short_all',
  'rerun_v3_ma_long',
  'rerun_v3_ma_short',
] as const;
