import { defineStage } from '../../core/stage.js';
import { metaStageParams } from './_params.js';
import { loadResolvedMeta } from './_resolve.js';
import { writeAttribution } from './_attribution-level.js';

export const metaAttribution = defineStage({
  id: 'meta.attribution',
  name: 'Meta risk attribution',
  description:
    'Where the risk comes from, per risk profile: Euler contributions to volatility and historical CVaR 95 % of each sleeve and branch, each atomic sleeve by path and each physical asset (look-through), diversification ratio, risk-based effective N, and the level without each sleeve.',
  category: 'meta',
  tags: ['meta', 'risk', 'attribution'],
  aliases: [],
  params: metaStageParams,
  output:
    'data/meta_attribution_{M}_{P}.json (totals, contribution tables, leave-one-out, definitions) and data/meta_attribution_{M}_{P}.parquet (one row per sleeve, leaf and asset).',
  async run(params, ctx) {
    const resolved = await loadResolvedMeta(ctx, params.meta_profile, params.risk_profiles);
    const parts: string[] = [];
    for (const P of resolved.riskProfiles) {
      const doc = await writeAttribution({ ctx, resolved, riskProfile: P }, resolved.node, resolved.prefix);
      const top = [...doc.sleeves].sort((a, b) => b.vol_share - a.vol_share)[0];
      parts.push(
        `${P}: vol ${(doc.totals.volatility * 100).toFixed(2)}%, CVaR95 ${(doc.totals.cvar * 100).toFixed(2)}%${top === undefined ? '' : `, ${top.name} ${(top.vol_share * 100).toFixed(1)}% of vol`}`,
      );
    }
    return { value: { risk_profiles: resolved.riskProfiles }, summary: parts.join('; ') };
  },
});
