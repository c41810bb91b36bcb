import { z } from 'zod';

/** Params shared by the meta stages. */
export const metaStageParams = z.strictObject({
  meta_profile: z
    .string()
    .min(1)
    .describe('the meta profile (root of the tree, or a nested meta profile of the run)'),
  risk_profiles: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(
      'risk profiles to process (default: those of config/resolved_manifest.json, else the manifest)',
    ),
  sleeve_runs: z
    .record(z.string().min(1), z.string().min(1))
    .optional()
    .describe(
      'pin the runs of unpinned atomic sleeves by profile (profile → run id), e.g. runs just produced by --execute-sleeves',
    ),
});
