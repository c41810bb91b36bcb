// Headless Chromium for the browser tests: Debian's `chromium` (installed by scripts/system-deps.sh and
// .ci/run) driven through playwright-core, with the flags that keep it from reaching the network itself.
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * The `skip` option of a browser suite: without the browser the test cannot prove anything; CI installs
 * it, so only a local run may skip.
 */
export const chromiumSkip: string | false =
  !existsSync(CHROMIUM) && process.env['CI'] === undefined
    ? `${CHROMIUM} not installed (bash scripts/system-deps.sh installs it; CI fails without it)`
    : false;
