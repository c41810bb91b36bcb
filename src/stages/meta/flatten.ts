import { defineStage } from '../../core/stage.js';
import { metaStageParams } from './_params.js';
import { loadResolvedMeta } from './_resolve.js';
import { flattenLevel } from './_flatten-level.js';

export const metaFlatten = defineStage({
  id: 'meta.flatten',
  name: 'Meta flatten',
  description:
    'Physical asset weights per risk profile: sleeve weights × each sleeve’s physical net weights, recursively through nested metas, summed per symbol, signs preserved.',
  category: 'meta',
  tags: ['meta', 'weights', 'assets'],
  aliases: ['risk.flatten_meta'],
  params: metaStageParams,
  output:
    'data/portfolio_optimized_meta_{M}_{P}.json for M and every nested meta profile (Symbol, Weight, Net_Weight, Direction, Contributors).',
  async run(params, ctx) {
    const resolved = await loadResolvedMeta(ctx, params.meta_profile, params.risk_profiles);
    const parts: string[] = [];
    for (const P of resolved.riskProfiles) {
      const doc = await flattenLevel({ ctx, resolved, riskProfile: P }, resolved.node, resolved.prefix);
      if (doc.totals.assets === 0) {
        // A long sleeve and its mirror, weighted alike, cancel: there is nothing to hold or trade, and
        // `meta validate` fails the target. Said at once rather than found later.
        ctx.warn(
          `${P}: the weighted sleeves net out exactly: no physical position to hold (gross 0); meta validate fails this target — check the sleeves' directions or drop ${P}`,
        );
      }
      parts.push(
        `${P}: ${doc.totals.assets} assets, gross ${doc.totals.gross.toFixed(4)}, net ${doc.totals.net.toFixed(4)}`,
      );
    }
    return { value: { risk_profiles: resolved.riskProfiles }, summary: parts.join('; ') };
  },
});
