// A workspace for the sleeve-execution tests: the bundled SPI sector and SWX price tables, small
// walk-forward windows (train 120, test and step 63: few windows, fast), and meta profiles over the sleeves.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const EPOCH = 1767225600; // 2026-01-01T00:00:00Z
export const STAMP = '20260101-000000';

const sleeve = (prices: string, assets: string[], over: Record<string, unknown> = {}) => ({
  sleeve: {
    prices: `data/${prices}`,
    assets,
    risk_profiles: ['hrp', 'min_variance'],
    train_window: 120,
    test_window: 63,
    step: 63,
    costs: { commission: 0.0001, slippage: 0.0005 },
    ...over,
  },
});

const SECTORS = ['BASI', 'INDU', 'HLTH', 'FINA'];
const ALL_SECTORS = ['BASI', 'INDU', 'CONG', 'HLTH', 'CONS', 'TELE', 'UTIL', 'FINA', 'TECH'];

/** The manifest; `meta` = [inner = [sectors, swiss], bonds] is the tree the tests run. */
export function execManifest(): { profiles: Record<string, unknown> } {
  return {
    profiles: {
      sectors: sleeve('spisector_prices.csv', SECTORS, { directions: { INDU: 'SHORT' } }),
      swiss: sleeve('swx_prices.csv', ['SBI', 'SPI', 'SII', 'LP60']),
      bonds: sleeve('swx_prices.csv', ['SBI', 'LP25', 'LP40']),
      // One window per day over 9 assets and 3 risk profiles: a sleeve that takes a couple of seconds.
      slow: sleeve('spisector_prices.csv', ALL_SECTORS, {
        risk_profiles: ['hrp', 'min_variance', 'risk_parity'],
        test_window: 1,
        step: 1,
      }),
      broken: sleeve('missing_prices.csv', ['A', 'B']),
      broken_column: sleeve('swx_prices.csv', ['SBI', 'NOPE']),
      meta_inner: {
        sleeves: [
          { id: 'sectors', profile: 'sectors' },
          { id: 'swiss', profile: 'swiss' },
        ],
      },
      meta: {
        sleeves: [
          { id: 'inner', meta_profile: 'meta_inner' },
          { id: 'bonds', profile: 'bonds' },
        ],
      },
      meta_slow: {
        sleeves: [
          { id: 'sectors', profile: 'sectors' },
          { id: 'slow', profile: 'slow' },
          { id: 'bonds', profile: 'bonds' },
        ],
      },
      meta_bad: {
        sleeves: [
          { id: 'sectors', profile: 'sectors' },
          { id: 'broken', profile: 'broken' },
          { id: 'broken_column', profile: 'broken_column' },
        ],
      },
    },
  };
}

/** Fill `dir` with data/ and manifest.json. */
export function buildExecWorkspace(dir: string): string {
  mkdirSync(join(dir, 'data'), { recursive: true });
  for (const f of ['spisector_prices.csv', 'swx_prices.csv'])
    copyFileSync(join(REPO, 'data', f), join(dir, 'data', f));
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(execManifest(), null, 2)}\n`);
  return dir;
}
