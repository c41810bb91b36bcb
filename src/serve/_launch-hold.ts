/**
 * Test hook (inert unless set): `QUANT_HOLD_LAUNCHES=<file>` makes each launch of `quant serve` wait,
 * after its `started` event, until `<file>` exists. The workbench tests remove the file to look at a page
 * while a launch surely runs, then create it to let the launch go on — no timing assumption.
 */
import { existsSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Env } from '../util/env.js';

/** Resolves at once unless the hook is set and its file is absent; then when the file appears. */
export async function launchHold(env: Env): Promise<void> {
  const file = env['QUANT_HOLD_LAUNCHES'];
  if (file === undefined || file === '' || existsSync(file)) return;
  await new Promise<void>((resolve) => {
    const watcher = watch(dirname(file), (_event, name) => {
      if (name !== null && name !== basename(file)) return;
      if (!existsSync(file)) return;
      watcher.close();
      resolve();
    });
    // Created between the first look and the watch: nothing would wake it.
    if (existsSync(file)) {
      watcher.close();
      resolve();
    }
  });
}
