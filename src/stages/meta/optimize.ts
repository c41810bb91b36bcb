import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { defineStage } from '../../core/stage.js';
import { QuantError } from '../../errors.js';
import { readTable } from '../../artifacts/index.js';
import { metaStageParams } from './_params.js';
import { loadResolvedMeta } from './_resolve.js';
import { optimizeLevel } from './_optimize-level.js';
import { levelAnnualisation } from './_level.js';
import { metaArtifactPaths } from './_artifact-types.js';

export const metaOptimize = defineStage({
  id: 'meta.optimize',
  name: 'Meta optimize',
  description:
    'Sleeve weights per risk profile by the matching method (meta-HRP over HRP streams, ...), with the meta profile’s bounds and the declared fallback chain.',
  category: 'meta',
  tags: ['meta', 'optimizer', 'weights'],
  aliases: ['risk.optimize_meta'],
  params: metaStageParams,
  output:
    'data/meta_optimized_{M}_{P}.json (sleeve weights, method, fallback chain) and data/meta_cluster_tree_{M}_{P}.json.',
  async run(params, ctx) {
    const resolved = await loadResolvedMeta(ctx, params.meta_profile, params.risk_profiles);
    const parts: string[] = [];
    for (const P of resolved.riskProfiles) {
      const rel = metaArtifactPaths(params.meta_profile, P).returns;
      const file = join(ctx.runDir, rel);
      if (!existsSync(file)) {
        throw new QuantError('E_ARTIFACT_MISSING', `meta.optimize needs ${rel} in run ${ctx.runId}`, {
          location: { file: `runs/${ctx.runId}/${rel}` },
          hint: `run meta.returns first (quant stage run meta.returns --run-id ${ctx.runId} --param meta_profile=${params.meta_profile})`,
        });
      }
      const table = await readTable(file);
      ctx.recordInput(file);
      const annualisation = levelAnnualisation(
        { resolved, riskProfile: P },
        resolved.node,
        table.dates,
        table.columns,
      );
      const doc = await optimizeLevel(
        { ctx, resolved, riskProfile: P },
        {
          node: resolved.node,
          prefix: resolved.prefix,
          ids: [...table.columns],
          dates: [...table.dates],
          columns: [...table.values],
          periodsPerYear: annualisation.periods_per_year,
          annualisation,
        },
      );
      const fallback = doc.method === doc.requested_method ? '' : ` (fell back to ${doc.method})`;
      const rule = doc.diagnostics['covariance_rule'];
      const shrunk =
        doc.parameters['covariance'] === 'ledoit_wolf' && typeof rule === 'string'
          ? ` (ledoit_wolf, ${rule})`
          : '';
      parts.push(
        `${P}: ${doc.sleeves.map((s) => `${s.id} ${(s.weight * 100).toFixed(1)}%`).join(', ')}${fallback}${shrunk}`,
      );
    }
    return { value: { risk_profiles: resolved.riskProfiles }, summary: parts.join('; ') };
  },
});
