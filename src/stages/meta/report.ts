import { join } from 'node:path';
import { z } from 'zod';
import { defineStage } from '../../core/stage.js';
import { QuantError } from '../../errors.js';
import { readRunJson, toIsoSeconds, writeFileAtomic } from '../../artifacts/index.js';
import { ID_PATTERN, MAX_PROFILE_NAME_LENGTH } from '../../manifest/index.js';
import {
  isOmitted,
  renderMetaReportHtml,
  renderMetaReportMarkdown,
  type RiskProfileReport,
} from '../../report/index.js';
import { REPORT_HTML, REPORT_MD, RESOLVED_MANIFEST } from './_artifact-types.js';
import { loadMetaReportData } from './_report-data.js';
import { readJsonArtifact, resolvedManifestSchema } from './_report-docs.js';

const profileName = z.string().regex(ID_PATTERN).max(MAX_PROFILE_NAME_LENGTH);

const metaReportParams = z.strictObject({
  meta_profile: profileName.describe('meta profile M whose artifacts are reported'),
  risk_profiles: z
    .array(profileName)
    .min(1)
    .optional()
    .describe('risk profiles to report, in this order (default: those of config/resolved_manifest.json)'),
});

/** What `meta.report` returns. */
export interface MetaReportValue {
  /** Absolute path of the Markdown report. */
  readonly report: string;
  /** Absolute path of the self-contained HTML report (same data, with charts). */
  readonly html: string;
  readonly risk_profiles: readonly {
    readonly risk_profile: string;
    readonly method: string;
    readonly observations: number;
    readonly cagr: number | null;
    readonly sharpe: number | null;
    readonly max_drawdown: number | null;
    /** Run-relative files of optional artifacts that were missing (their sections carry a note). */
    readonly omitted: readonly string[];
  }[];
}

async function riskProfilesOf(
  runDir: string,
  given: readonly string[] | undefined,
  record: (f: string) => void,
): Promise<string[]> {
  if (given !== undefined) return [...new Set(given)];
  const file = join(runDir, RESOLVED_MANIFEST);
  const doc = await readJsonArtifact(file, RESOLVED_MANIFEST, resolvedManifestSchema);
  if (doc === undefined) {
    throw new QuantError(
      'E_ARTIFACT_MISSING',
      `meta.report needs ${RESOLVED_MANIFEST} to know the risk profiles; run meta.returns first`,
      {
        location: { file },
        hint: 'or pass the risk profiles explicitly (--param risk_profiles=hrp,min_variance)',
      },
    );
  }
  record(file);
  return [...new Set(doc.risk_profiles)];
}

function omittedFiles(p: RiskProfileReport): string[] {
  const sections = [p.assets, p.health, p.calendar, p.nested, p.backtest, p.charts?.tree ?? undefined];
  const files = sections.flatMap((s) => (s !== undefined && isOmitted(s) ? [s.omitted] : []));
  return [...new Set(files)];
}

export const metaReport = defineStage({
  id: 'meta.report',
  name: 'Meta portfolio report',
  description:
    'Forensic report of a meta run, as Markdown and as one self-contained HTML file with inline SVG charts: metrics in and out of sample, allocation, correlation, dendrogram, physical assets, health, anomalies, calendar.',
  category: 'meta',
  tags: ['meta', 'report'],
  aliases: ['risk.report_meta'],
  params: metaReportParams,
  output: `${REPORT_MD} and ${REPORT_HTML} in the run folder (same figures); sections whose optional artifacts are missing carry a note.`,
  async run(params, ctx) {
    const riskProfiles = await riskProfilesOf(ctx.runDir, params.risk_profiles, ctx.recordInput);
    // run.json's created_at is the run's own instant (SOURCE_DATE_EPOCH when set), so reruns stay identical.
    const run = await readRunJson(ctx.workspace, ctx.runId).catch(() => undefined);
    ctx.progress(`reading ${riskProfiles.length} risk profile(s)`);
    const data = await loadMetaReportData({
      runDir: ctx.runDir,
      runId: ctx.runId,
      metaProfile: params.meta_profile,
      riskProfiles,
      createdAt: run?.created_at ?? toIsoSeconds(ctx.now),
      toolVersion: ctx.toolVersion,
      recordInput: ctx.recordInput,
    });
    const output = join(ctx.runDir, REPORT_MD);
    await writeFileAtomic(output, renderMetaReportMarkdown(data));
    ctx.recordOutput(output);
    const html = join(ctx.runDir, REPORT_HTML);
    await writeFileAtomic(html, renderMetaReportHtml(data));
    ctx.recordOutput(html);
    const value: MetaReportValue = {
      report: output,
      html,
      risk_profiles: data.riskProfiles.map((p) => ({
        risk_profile: p.riskProfile,
        method: p.allocation.method,
        observations: p.metrics.observations,
        cagr: p.metrics.cagr,
        sharpe: p.metrics.sharpe,
        max_drawdown: p.metrics.maxDrawdown,
        omitted: omittedFiles(p),
      })),
    };
    const parts = data.riskProfiles.map((p) => {
      const s = p.metrics.sharpe;
      return `${p.riskProfile} Sharpe ${s === null ? 'n/a' : s.toFixed(2)}`;
    });
    const omitted = value.risk_profiles.reduce((k, p) => k + p.omitted.length, 0);
    return {
      value,
      summary: `${REPORT_MD} and .html for ${params.meta_profile}: ${parts.join(', ')}${omitted > 0 ? `; ${omitted} section source(s) missing` : ''}`,
    };
  },
});
