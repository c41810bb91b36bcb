/** The attribution section of the report, read from `meta_attribution_{M}_{P}.json` (optional). */
import { join } from 'node:path';
import { z } from 'zod';
import {
  isOmitted,
  type AttributionRowData,
  type AttributionSection,
  type ExposureSection,
  type Section,
} from '../../report/index.js';
import { attributionPaths } from './_attribution-level.js';
import { readJsonArtifact, type FlattenedDoc } from './_report-docs.js';

const nullableNumber = z.number().nullable();
const rowSchema = z.looseObject({
  name: z.string(),
  weight: z.number(),
  vol_contribution: z.number(),
  vol_share: z.number(),
  vol_marginal: z.number(),
  cvar_contribution: z.number(),
  cvar_share: z.number(),
  cvar_marginal: z.number(),
});
const attributionDocSchema = z.looseObject({
  cvar_level: z.number(),
  totals: z.looseObject({
    volatility: z.number(),
    cvar: z.number(),
    sharpe: nullableNumber,
    diversification_ratio: nullableNumber,
    effective_n: nullableNumber,
    leaf_diversification_ratio: nullableNumber,
    leaf_effective_n: nullableNumber,
  }),
  sleeves: z.array(rowSchema.extend({ kind: z.enum(['atomic', 'meta']) })),
  leaves: z.array(rowSchema),
  assets: z.array(rowSchema),
  unassigned: z.looseObject({ vol_contribution: z.number(), cvar_contribution: z.number() }),
  leave_one_out: z.array(
    z.looseObject({
      name: z.string(),
      volatility: nullableNumber,
      cvar: nullableNumber,
      sharpe: nullableNumber,
    }),
  ),
});

function toRow(r: z.output<typeof rowSchema>): AttributionRowData {
  return {
    name: r.name,
    weight: r.weight,
    volContribution: r.vol_contribution,
    volShare: r.vol_share,
    volMarginal: r.vol_marginal,
    cvarContribution: r.cvar_contribution,
    cvarShare: r.cvar_share,
    cvarMarginal: r.cvar_marginal,
  };
}

/** The section, or `{ omitted }` naming the file when the run has no attribution (older runs). */
export async function loadAttributionSection(
  runDir: string,
  metaProfile: string,
  riskProfile: string,
  recordInput: (file: string) => void,
): Promise<Section<AttributionSection>> {
  const rel = attributionPaths(metaProfile, riskProfile).json;
  const file = join(runDir, rel);
  const doc = await readJsonArtifact(file, rel, attributionDocSchema);
  if (doc === undefined) return { omitted: rel };
  recordInput(file);
  return {
    file: rel,
    cvarLevel: doc.cvar_level,
    volatility: doc.totals.volatility,
    cvar: doc.totals.cvar,
    sharpe: doc.totals.sharpe,
    diversificationRatio: doc.totals.diversification_ratio,
    effectiveN: doc.totals.effective_n,
    sleeves: doc.sleeves.map((s) => ({ ...toRow(s), kind: s.kind })),
    leaves: doc.leaves.map(toRow),
    leafDiversificationRatio: doc.totals.leaf_diversification_ratio,
    leafEffectiveN: doc.totals.leaf_effective_n,
    assets: doc.assets.map(toRow),
    unassigned: {
      volContribution: doc.unassigned.vol_contribution,
      cvarContribution: doc.unassigned.cvar_contribution,
    },
    leaveOneOut: doc.leave_one_out.map((r) => ({
      name: r.name,
      volatility: r.volatility,
      cvar: r.cvar,
      sharpe: r.sharpe,
    })),
  };
}

/**
 * Every flattened asset, largest gross weight first (ties by symbol), joined by symbol with its shares of
 * the risk from the attribution; `{ omitted }` naming the flattened file when the run has none.
 */
export function exposureSection(
  flattened: FlattenedDoc | undefined,
  flattenedRel: string,
  attribution: Section<AttributionSection>,
): Section<ExposureSection> {
  if (flattened === undefined) return { omitted: flattenedRel };
  const risk = isOmitted(attribution) ? undefined : new Map(attribution.assets.map((a) => [a.name, a]));
  const rows = [...flattened.assets]
    .sort((a, b) => b.Weight - a.Weight || (a.Symbol < b.Symbol ? -1 : a.Symbol > b.Symbol ? 1 : 0))
    .map((a) => ({
      symbol: a.Symbol,
      gross: a.Weight,
      net: a.Net_Weight,
      volShare: risk === undefined ? null : (risk.get(a.Symbol)?.volShare ?? 0),
      cvarShare: risk === undefined ? null : (risk.get(a.Symbol)?.cvarShare ?? 0),
      contributors: Object.entries(a.Contributors)
        .map(([path, contribution]) => ({ path, contribution }))
        .sort(
          (x, y) =>
            Math.abs(y.contribution) - Math.abs(x.contribution) ||
            (x.path < y.path ? -1 : x.path > y.path ? 1 : 0),
        ),
    }));
  return {
    rows,
    totalGross: flattened.totals.gross,
    attributionFile: isOmitted(attribution) ? null : attribution.file,
  };
}
