import { dirname, resolve } from 'node:path';
import { QuantError } from '../../errors.js';
import { assertConfined, readTable, sha256Hex } from '../../artifacts/index.js';
import {
  assertProfilesUsable,
  invalidProfileWarnings,
  isMetaProfile,
  readManifest,
  type SleeveSpec,
} from '../../manifest/index.js';
import { ownValue } from '../../util/own.js';
import { didYouMean } from '../../util/suggest.js';
import type { PositionDirection } from '../../numeric/backtest/synthetic-returns.js';
import { assertPlausibleReturnScale, tableToReturns, type ReturnsData } from '../_returns-table.js';
import { resolveAnnualisation, type Annualisation } from '../_annualisation.js';
import { responsibleText } from '../_missing-data-record.js';

/** A sleeve profile ready to backtest: its spec, the manifest it came from and its cleaned returns. */
export interface SleeveInput {
  readonly profile: string;
  readonly spec: SleeveSpec;
  readonly manifestFile: string;
  readonly manifestSha256: string;
  readonly pricesFile: string;
  readonly data: ReturnsData;
  /** Direction of each of `data.assets` (the assets kept by the missing-data policy). */
  readonly directions: PositionDirection[];
  readonly annualisation: Annualisation;
  /** Invalid profiles of the manifest that this sleeve does not use, one line each. */
  readonly manifestWarnings: readonly string[];
}

/**
 * A prices file that is missing or that a confined call may not read, located at the manifest entry
 * that names it (the path written there is what to fix).
 */
function locatePricesError(error: unknown, profile: string, manifest: string, prices: string): unknown {
  if (!(error instanceof QuantError)) return error;
  if (error.code !== 'E_PATH_ESCAPE' && error.code !== 'E_INPUT_NOT_FOUND') return error;
  return new QuantError(
    error.code,
    `sleeve profile "${profile}": prices ${JSON.stringify(prices)}: ${error.message}`,
    {
      location: { file: manifest, jsonPath: `profiles.${profile}.sleeve.prices` },
      ...(error.code === 'E_INPUT_NOT_FOUND'
        ? { hint: `fix profiles.${profile}.sleeve.prices (a path relative to the manifest's folder)` }
        : error.hint === undefined
          ? {}
          : { hint: error.hint }),
      details: error.details,
      cause: error,
    },
  );
}

/**
 * Load sleeve profile `profile` of the manifest at `manifestPath` and its price (or return) table:
 * the path resolves against the manifest's folder, the profile's assets are taken in manifest order,
 * the sleeve's missing-data policy applies (default: drop rows with a missing value), prices become simple
 * returns (log returns exp(r) − 1), and the annualisation factor is set or inferred from the dates.
 * Errors: `E_UNKNOWN_PROFILE` (absent or a meta profile), `E_INPUT_COLUMN` (an asset is not a column),
 * `E_TOO_FEW_OBSERVATIONS` (fewer than train_window + 1 return rows), and the manifest/table errors.
 */
export async function loadSleeveInput(manifestPath: string, profile: string): Promise<SleeveInput> {
  await assertConfined(manifestPath, 'read');
  const { manifest, file, text } = await readManifest(manifestPath);
  if (ownValue(manifest.invalid, profile) !== undefined) assertProfilesUsable(manifest, profile, file);
  const entry = Object.hasOwn(manifest.profiles, profile) ? manifest.profiles[profile] : undefined;
  const sleeveNames = Object.entries(manifest.profiles)
    .filter(([, p]) => !isMetaProfile(p))
    .map(([name]) => name);
  const known = sleeveNames.length === 0 ? 'it declares none' : `sleeve profiles: ${sleeveNames.join(', ')}`;
  if (entry === undefined) {
    throw new QuantError('E_UNKNOWN_PROFILE', `sleeve profile "${profile}" is not in ${file}`, {
      hint: `${known}; add the profile under "profiles" or pick another`,
      location: { file, jsonPath: `profiles.${profile}` },
    });
  }
  if (isMetaProfile(entry)) {
    throw new QuantError(
      'E_UNKNOWN_PROFILE',
      `"${profile}" is a meta profile; sleeve.backtest runs sleeve profiles (a "sleeve" object)`,
      {
        hint: `run a meta profile with \`quant meta run --profile ${profile}\`; ${known}`,
        location: { file, jsonPath: `profiles.${profile}` },
      },
    );
  }
  const spec = entry.sleeve;
  const pricesFile = resolve(dirname(file), spec.prices);
  const table = await readTable(pricesFile).catch((error: unknown) => {
    throw locatePricesError(error, profile, file, spec.prices);
  });
  spec.assets.forEach((asset, i) => {
    if (table.columns.includes(asset)) return;
    throw new QuantError(
      'E_INPUT_COLUMN',
      `sleeve profile "${profile}": asset "${asset}" is not a column of ${pricesFile}`,
      {
        hint: `fix profiles.${profile}.sleeve.assets[${i}]${didYouMean(asset, table.columns)}; the columns are ${table.columns.join(', ')}`,
        location: { file: pricesFile, column: asset },
      },
    );
  });
  const data = tableToReturns(table, {
    file: pricesFile,
    kind: spec.input_kind,
    assets: spec.assets,
    missing: spec.missing,
    ffillLimit: spec.ffill_limit,
    setting: (key, value) => `profiles.${profile}.sleeve.${key} = "${value}" in the manifest`,
    assetsKey: `profiles.${profile}.sleeve.assets`,
    historyNeed: `train_window ${spec.train_window} needs at least ${spec.train_window + 1} return rows`,
  });
  const rows = data.returns.rows;
  if (rows < spec.train_window + 1) {
    const culprits = responsibleText(data.missingData);
    const md = data.missingData;
    throw new QuantError(
      'E_TOO_FEW_OBSERVATIONS',
      `sleeve profile "${profile}": ${pricesFile} gives ${rows} complete return row(s), but train_window ${spec.train_window} needs at least ${spec.train_window + 1} (the train window and one test day)` +
        (culprits === null
          ? ''
          : `; ${md.dropped_rows} of ${md.rows} rows were dropped for missing values (missing=${md.policy}), responsible: ${culprits}`),
      {
        hint:
          culprits === null
            ? `lower profiles.${profile}.sleeve.train_window or provide a longer history`
            : `set profiles.${profile}.sleeve.missing = "drop_assets" or remove ${md.responsible.map((a) => a.asset).join(', ')} from profiles.${profile}.sleeve.assets, or lower profiles.${profile}.sleeve.train_window`,
        location: { file: pricesFile },
        details: {
          profile,
          rows,
          train_window: spec.train_window,
          responsible: md.responsible.map((a) => a.asset),
        },
      },
    );
  }
  const annualisation = resolveAnnualisation(spec.periods_per_year, data.dates, {
    source: 'manifest',
    what: `sleeve profile "${profile}": ${pricesFile} (${data.dates.length} return rows)`,
    setting: `profiles.${profile}.sleeve.periods_per_year in the manifest`,
    location: { file, jsonPath: `profiles.${profile}.sleeve.periods_per_year` },
  });
  assertPlausibleReturnScale(
    data,
    pricesFile,
    annualisation.periods_per_year,
    (key, value) => `profiles.${profile}.sleeve.${key} = "${value}" in the manifest`,
  );
  return {
    profile,
    spec,
    manifestFile: file,
    manifestSha256: sha256Hex(text),
    pricesFile,
    data,
    directions: data.assets.map((a) => ownValue(spec.directions, a) ?? 'LONG'),
    annualisation,
    manifestWarnings: invalidProfileWarnings(manifest, new Set([profile]), file),
  };
}
