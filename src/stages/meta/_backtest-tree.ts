/**
 * The input of `meta.backtest`: a meta level's return matrix as written by `meta.returns`, with the
 * nested levels behind its branch columns read the same way (their own `meta_returns` files), and each
 * level's fitting settings taken from the manifest exactly as `meta.optimize` takes them.
 */
import { levelOptimizeSettings } from './_optimize-level.js';
import { join } from 'node:path';
import type { StageContext } from '../../core/stage.js';
import { QuantError } from '../../errors.js';
import { readTable } from '../../artifacts/index.js';
import type { MetaNode } from '../../manifest/index.js';
import type { MetaLevel } from '../../numeric/backtest/meta-walk-forward.js';
import type { Annualisation } from '../_annualisation.js';
import { levelAnnualisation } from './_level.js';
import type { ResolvedMeta } from './_resolve.js';
import { metaArtifactPaths } from './_artifact-types.js';

/** A level of the backtest tree with the kind of each column. */
export interface BacktestLevel extends MetaLevel {
  readonly kinds: readonly ('atomic' | 'meta')[];
  /** How `settings.periodsPerYear` was chosen for this level. */
  readonly annualisation: Annualisation;
}

/** Read the level of `node` for risk profile P and, recursively, its nested levels. */
export async function loadBacktestLevel(
  ctx: StageContext,
  resolved: ResolvedMeta,
  node: MetaNode,
  P: string,
): Promise<BacktestLevel> {
  const rel = metaArtifactPaths(node.profile, P).returns;
  const file = join(ctx.runDir, rel);
  const table = await readTable(file, { allowMissing: false }).catch((error: unknown) => {
    if (error instanceof QuantError && error.code === 'E_INPUT_NOT_FOUND') {
      throw new QuantError('E_ARTIFACT_MISSING', `meta.backtest needs ${rel} in run ${ctx.runId}`, {
        location: { file: `runs/${ctx.runId}/${rel}` },
        hint: `run meta.returns first (quant stage run meta.returns --run-id ${ctx.runId} --param meta_profile=${node.profile})`,
      });
    }
    throw error;
  });
  ctx.recordInput(file);
  const children: (BacktestLevel | null)[] = [];
  const kinds: ('atomic' | 'meta')[] = [];
  for (const id of table.columns) {
    const sleeve = node.sleeves.find((s) => s.id === id);
    if (sleeve === undefined) {
      throw new QuantError(
        'E_INPUT_COLUMN',
        `${rel} has a column "${id}" that is not a sleeve of ${node.profile}`,
        {
          location: { file: `runs/${ctx.runId}/${rel}`, column: id },
          hint: 'the run was built from another manifest: run meta.returns again',
        },
      );
    }
    kinds.push(sleeve.kind);
    children.push(sleeve.kind === 'meta' ? await loadBacktestLevel(ctx, resolved, sleeve.node, P) : null);
  }
  const annualisation = levelAnnualisation({ resolved, riskProfile: P }, node, table.dates, table.columns);
  return {
    label: node.profile,
    ids: [...table.columns],
    dates: [...table.dates],
    columns: [...table.values],
    children,
    kinds,
    annualisation,
    settings: levelOptimizeSettings(node, annualisation.periods_per_year, table.columns),
  };
}
