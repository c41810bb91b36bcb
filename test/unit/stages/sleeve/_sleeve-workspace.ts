// A temp workspace with the bundled SPI sector prices and a manifest of sleeve profiles, and an SDK whose
// registry holds the built-in stages plus sleeve.backtest.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRegistry } from '../../../../src/core/registry.js';
import { QuantSDK, type StageRunResult } from '../../../../src/sdk/quant-sdk.js';
import { builtinStages } from '../../../../src/stages/catalog.js';
import { sleeveBacktest, type SleeveBacktestValue } from '../../../../src/stages/sleeve/backtest.js';
import { writeManifest } from '../../../helpers/sleeve-fixtures.js';
import { tempDir } from '../../artifacts/_temp.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const SPISECTOR_CSV = join(REPO, 'data', 'spisector_prices.csv');

// The catalog may list sleeve.backtest already; never register it twice.
const stages = builtinStages.some((s) => s.id === sleeveBacktest.id)
  ? builtinStages
  : [...builtinStages, sleeveBacktest];
export const sdk = new QuantSDK({ registry: createRegistry(stages) });
export const env = { SOURCE_DATE_EPOCH: '1717200000' };

const SECTORS = ['BASI', 'INDU', 'CONG', 'HLTH', 'CONS', 'TELE', 'UTIL', 'FINA', 'TECH'];

export const sleeve = (over: Record<string, unknown>) => ({
  sleeve: {
    prices: 'data/spisector_prices.csv',
    assets: ['BASI', 'INDU', 'HLTH'],
    directions: { INDU: 'SHORT' },
    risk_profiles: ['hrp', 'min_variance', 'equal_weight'],
    train_window: 252,
    test_window: 21,
    costs: { commission: 0.0001, slippage: 0.0005 },
    ...over,
  },
});

/** The manifest of every sleeve test: a valid sleeve, error cases, the 9-sector timing case, a meta. */
export const MANIFEST = {
  profiles: {
    swiss_sectors: sleeve({}),
    all_sectors: sleeve({
      assets: SECTORS,
      risk_profiles: ['hrp', 'min_variance', 'max_sharpe', 'risk_parity', 'equal_weight', 'barbell'],
    }),
    short_history: sleeve({ train_window: 5000 }),
    bad_column: sleeve({ assets: ['BASI', 'NOPE'], directions: {} }),
    meta_x: { sleeves: [{ id: 'sectors', profile: 'swiss_sectors' }] },
  },
};

/** A fresh workspace with `data/spisector_prices.csv` and `manifest.json`. */
export async function sleeveWorkspace(): Promise<string> {
  const ws = tempDir('mf-sleeve-');
  mkdirSync(join(ws, 'data'));
  copyFileSync(SPISECTOR_CSV, join(ws, 'data', 'spisector_prices.csv'));
  await writeManifest(ws, MANIFEST);
  return ws;
}

/** Run sleeve.backtest for `profile` in `ws` under run id `runId`. */
export function runBacktest(
  ws: string,
  profile: string,
  runId: string,
): Promise<StageRunResult<SleeveBacktestValue>> {
  return sdk.runStage<SleeveBacktestValue>(
    'sleeve.backtest',
    { profile },
    { workspace: ws, runId, manifest: join(ws, 'manifest.json'), env },
  );
}
