/**
 * The `trades` block of a meta profile: which `meta.trades` runs `quant meta run` adds after the
 * pipeline, with the files it names resolved against the manifest's folder, confined to the workspace and
 * read once before the run folder exists (a bad table writes nothing).
 */
import { dirname, relative, resolve, sep } from 'node:path';
import { QuantError, isQuantError } from '../../errors.js';
import { resolveInside } from '../../artifacts/index.js';
import { formatJsonPath, type TradesSpec } from '../../manifest/index.js';
import { readHoldings, readLots, readPrices, type TableRef } from './_trades-inputs.js';

/** The params of one `meta.trades` run of the block (its files relative to the workspace). */
export interface TradesStageParams {
  readonly meta_profile: string;
  readonly risk_profile: string;
  readonly prices_file: string;
  readonly holdings_file?: string;
  readonly lots_file?: string;
  readonly nav: number;
  readonly max_data_age_days?: number;
  readonly allow_stale?: boolean;
}

interface Where {
  readonly workspace: string;
  readonly manifestFile: string;
  readonly metaProfile: string;
}

const jsonPath = (where: Where, ...rest: (string | number)[]): string =>
  formatJsonPath(['profiles', where.metaProfile, 'trades', ...rest]);

/** A file of the block: inside the workspace (`E_PATH_ESCAPE` at its JSON path otherwise), then read. */
async function table(
  where: Where,
  key: 'prices' | 'holdings' | 'lots',
  file: string,
  read: (t: TableRef) => Promise<unknown>,
): Promise<string> {
  const absolute = resolve(dirname(where.manifestFile), file);
  let path: string;
  try {
    path = await resolveInside(where.workspace, relative(where.workspace, absolute));
  } catch (error) {
    if (!isQuantError(error)) throw error;
    throw new QuantError(error.code, `${jsonPath(where, key)}: ${error.message}`, {
      location: { file: where.manifestFile, jsonPath: jsonPath(where, key) },
      hint: 'name a file inside the workspace, relative to the manifest’s folder',
      cause: error,
    });
  }
  try {
    await read({ name: file, path });
  } catch (error) {
    if (!isQuantError(error)) throw error;
    // Said as coming from the block; a fault inside the table keeps its own place (file and line).
    throw new QuantError(error.code, `${jsonPath(where, key)}: ${error.message}`, {
      location: error.location ?? { file: where.manifestFile, jsonPath: jsonPath(where, key) },
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      details: error.details,
      cause: error,
    });
  }
  // Relative to the workspace (where meta.trades then runs), so that the run's params and ledger are the
  // same bytes wherever the workspace lies.
  return relative(where.workspace, path).split(sep).join('/');
}

/**
 * The `meta.trades` params of each risk profile of the block that the run computes (`runProfiles`).
 * A block risk profile outside them is `E_MANIFEST` at its JSON path, unless the run's risk profiles were
 * chosen for this run (`chosen`): then it is left out and `onSkip` says so.
 */
export async function checkTradesInputs(
  workspace: string,
  manifestFile: string,
  metaProfile: string,
  spec: TradesSpec,
  run: { readonly profiles: readonly string[]; readonly chosen: boolean; onSkip?(message: string): void },
): Promise<TradesStageParams[]> {
  const where = { workspace, manifestFile, metaProfile };
  const missing = spec.risk_profiles.findIndex((p) => !run.profiles.includes(p));
  if (missing >= 0 && !run.chosen) {
    const path = jsonPath(where, 'risk_profiles', missing);
    throw new QuantError(
      'E_MANIFEST',
      `${path}: "${spec.risk_profiles[missing]}" is not a risk profile of this run (${run.profiles.join(', ')})`,
      {
        location: { file: manifestFile, jsonPath: path },
        hint: `trade one of ${run.profiles.join(', ')}, or add it to profiles.${metaProfile}.risk_profiles`,
      },
    );
  }
  const prices = await table(where, 'prices', spec.prices, readPrices);
  const holdings =
    spec.holdings === undefined ? undefined : await table(where, 'holdings', spec.holdings, readHoldings);
  const lots = spec.lots === undefined ? undefined : await table(where, 'lots', spec.lots, readLots);
  const out: TradesStageParams[] = [];
  for (const P of spec.risk_profiles) {
    if (!run.profiles.includes(P)) {
      run.onSkip?.(`trades: ${P} is not among this run's risk profiles; no trade list for it`);
      continue;
    }
    out.push({
      meta_profile: metaProfile,
      risk_profile: P,
      prices_file: prices,
      ...(holdings === undefined ? {} : { holdings_file: holdings }),
      ...(lots === undefined ? {} : { lots_file: lots }),
      nav: spec.nav,
      ...(spec.max_data_age_days === undefined ? {} : { max_data_age_days: spec.max_data_age_days }),
      ...(spec.allow_stale === undefined ? {} : { allow_stale: spec.allow_stale }),
    });
  }
  return out;
}
