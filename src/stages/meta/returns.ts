import { defineStage } from '../../core/stage.js';
import { metaStageParams } from './_params.js';
import { resolveForChainStart } from './_resolve.js';
import { buildLevelReturns } from './_level.js';

export const metaReturns = defineStage({
  id: 'meta.returns',
  name: 'Meta returns',
  description:
    "Aligned sleeve return matrix per risk profile: each sleeve's own stream (philosophy-matched), nested metas as branch streams, inner join on UTC days, health guardrail.",
  category: 'meta',
  tags: ['meta', 'returns'],
  aliases: ['meta.aggregation'],
  params: metaStageParams,
  output:
    'data/meta_returns_{M}_{P}.parquet and data/meta_manifest_{M}_{P}.json for M and every nested meta profile; nested levels also get meta_optimized and meta_cluster_tree; config/resolved_manifest.json.',
  async run(params, ctx) {
    const resolved = await resolveForChainStart(
      ctx,
      params.meta_profile,
      params.risk_profiles,
      params.sleeve_runs,
    );
    const parts: string[] = [];
    for (const P of resolved.riskProfiles) {
      ctx.progress(`${params.meta_profile} ${P}`);
      const level = await buildLevelReturns(
        { ctx, resolved, riskProfile: P },
        resolved.node,
        resolved.prefix,
      );
      parts.push(
        `${P}: ${level.ids.length} sleeves x ${level.dates.length} days${level.manifest.excluded.length > 0 ? ` (${level.manifest.excluded.length} excluded)` : ''}`,
      );
    }
    return { value: { risk_profiles: resolved.riskProfiles }, summary: parts.join('; ') };
  },
});
