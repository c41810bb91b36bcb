import { join } from 'node:path';
import { z } from 'zod';
import { defineStage } from '../../core/stage.js';
import { QuantError } from '../../errors.js';
import { readRunJson, toIsoSeconds, writeFileAtomic } from '../../artifacts/index.js';
import { ID_PATTERN, MAX_PROFILE_NAME_LENGTH } from '../../manifest/index.js';
import {
  IN_SAMPLE,
  isOmitted,
  OUT_OF_SAMPLE,
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
    /** Figures of the optimized weights on the history they were fitted on (in sample). */
    readonly observations: number;
    readonly cagr: number | null;
    readonly sharpe: number | null;
    readonly max_drawdown: number | null;
    /** The walk-forward's figures, net of costs; `null` without a completed backtest. */
    readonly out_of_sample: {
      readonly observations: number;
      readonly cagr: number | null;
      readonly sharpe: number | null;
      readonly max_drawdown: number | null;
    } | null;
    /** Run-relative files of optional artifacts that were missing (their sections carry a note). */
    readonly omitted: readonly string[];
  }[];
}

/** The risk profiles to report: as given, else those of the run's resolved manifest. */
export async function riskProfilesOf(
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

function outOfSample(p: RiskProfileReport): MetaReportValue['risk_profiles'][number]['out_of_sample'] {
  const b = p.backtest;
  if (b === undefined || isOmitted(b) || b.status !== 'ok') return null;
  const meta = b.rows.find((r) => r.kind === 'meta');
  if (meta === undefined) return null;
  return {
    observations: meta.observations,
    cagr: meta.cagr,
    sharpe: meta.sharpe,
    max_drawdown: meta.maxDrawdown,
  };
}

const fmt = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(2));

/** `hrp Sharpe 0.41 in sample (fit period), 0.12 out of sample (walk-forward)`. */
function sharpeLine(p: MetaReportValue['risk_profiles'][number]): string {
  const oos = p.out_of_sample === null ? '' : `, ${fmt(p.out_of_sample.sharpe)} ${OUT_OF_SAMPLE}`;
  return `${p.risk_profile} Sharpe ${fmt(p.sharpe)} ${IN_SAMPLE}${oos}`;
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
        out_of_sample: outOfSample(p),
        omitted: omittedFiles(p),
      })),
    };
    const parts = value.risk_profiles.map(sharpeLine);
    const rf = data.riskProfiles.find((p) => p.riskFree !== undefined)?.riskFree;
    const omitted = value.risk_profiles.reduce((k, p) => k + p.omitted.length, 0);
    return {
      value,
      summary: `${REPORT_MD} and .html for ${params.meta_profile}${rf === undefined ? '' : ` (Sharpe over ${rf})`}: ${parts.join(', ')}${omitted > 0 ? `; ${omitted} section source(s) missing` : ''}`,
    };
  },
});
