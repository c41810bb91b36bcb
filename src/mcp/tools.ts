/**
 * The MCP tools: thin adapters from validated tool arguments to the SDK, returning JSON data. Every
 * failure is a QuantError with the code and message the CLI prints for the same mistake.
 */
import { validationFailedError } from '../sdk/run-checks.js';
import { relative } from 'node:path';
import { formatArtifactAddress, parseStageRef } from '../core/address.js';
import { coerceStringParams, resolveStageParams, stageParamsJsonSchema } from '../core/params.js';
import { QuantSDK } from '../sdk/quant-sdk.js';
import { auditFailure } from '../sdk/run-audit.js';
import { validateMetaRunAndRecord } from '../sdk/meta-run.js';
import { confineParamPaths } from './confine.js';
import {
  describeStageInput,
  listRunsInput,
  listStagesInput,
  runIdInput,
  runMetaPipelineInput,
  runStageInput,
  validateRunInput,
  runStageJsonSchema,
} from './tool-schemas.js';
import { artifactRef, confineRun, defineTool, runOptions, stageInfo, type Tool } from './tool-kit.js';

export type { Tool, ToolContext, ToolResult } from './tool-kit.js';

const listStages = defineTool({
  name: 'list_stages',
  title: 'List stages',
  description:
    'The stages of the catalog (id, name, category, tags, aliases), optionally filtered by category and tag.',
  input: listStagesInput,
  readOnly: true,
  idempotent: true,
  async run(args, ctx) {
    const stages = ctx.registry.listStages({
      ...(args.category === undefined ? {} : { category: args.category }),
      ...(args.tag === undefined ? {} : { tag: args.tag }),
    });
    return { summary: `${stages.length} stage(s)`, data: { stages: stages.map(stageInfo) } };
  },
});

const describeStage = defineTool({
  name: 'describe_stage',
  title: 'Describe a stage',
  description:
    "A stage's documentation and the JSON Schema (draft 2020-12) of its params, as `quant stage schema` prints it.",
  input: describeStageInput,
  readOnly: true,
  idempotent: true,
  async run(args, ctx) {
    const stage = ctx.registry.getStage(parseStageRef(args.stage).stageId);
    return {
      summary: `${stage.id}: ${stage.name}`,
      data: { ...stageInfo(stage), params_schema: stageParamsJsonSchema(stage) },
    };
  },
});

const runStage = defineTool({
  name: 'run_stage',
  title: 'Run a stage',
  description:
    'Run one stage in a run folder of the workspace. Params are validated by the stage schema (all problems at once); returns the run id, the artifacts written with their quant:// addresses, and a one-line summary.',
  input: runStageInput,
  jsonSchema: runStageJsonSchema,
  readOnly: false,
  idempotent: false,
  async run(args, ctx) {
    const ref = parseStageRef(args.stage);
    const stage = ctx.registry.getStage(ref.stageId);
    const params = { ...coerceStringParams(stage, ref.pairs), ...args.params };
    await confineParamPaths(ctx.workspace, resolveStageParams(stage, params));
    await confineRun(ctx, args.run_id);
    ctx.progress(`${stage.id}: started`);
    const result = await ctx.sdk.runStage(stage.id, params, runOptions(ctx, args.run_id));
    return {
      summary: result.summary,
      data: {
        stage: result.stageId,
        run_id: result.runId,
        run: formatArtifactAddress(result.runId),
        summary: result.summary,
        artifacts: result.outputs.map(artifactRef),
        ...(result.warnings.length === 0 ? {} : { warnings: result.warnings }),
      },
    };
  },
});

const runMetaPipeline = defineTool({
  name: 'run_meta_pipeline',
  title: 'Run the meta pipeline',
  description:
    'Run meta.returns → meta.optimize → meta.backtest → meta.flatten → meta.attribution → meta.report (behind meta.sign_test when the profile enables the gate) for a meta profile of the manifest, as `quant meta run` does.',
  input: runMetaPipelineInput,
  readOnly: false,
  idempotent: false,
  async run(args, ctx) {
    await confineRun(ctx, args.run_id);
    ctx.progress(`meta pipeline ${args.meta_profile}: started`);
    const result = await ctx.sdk.runMeta(args.meta_profile, {
      ...runOptions(ctx, args.run_id),
      ...(args.risk_profiles === undefined ? {} : { riskProfiles: args.risk_profiles }),
      ...(args.sleeve_runs === undefined ? {} : { sleeveRuns: args.sleeve_runs }),
    });
    const report = relative(result.runDir, result.reportPath).split('\\').join('/');
    return {
      summary: `meta run ${result.runId} ok (${result.riskProfiles.join(', ')})`,
      data: {
        run_id: result.runId,
        run: formatArtifactAddress(result.runId),
        meta_profile: result.metaProfile,
        risk_profiles: result.riskProfiles,
        sign_test_gate: result.signTestGate,
        report: formatArtifactAddress(result.runId, report),
        stages: result.stages.map((s) => ({
          stage: s.stageId,
          summary: s.summary,
          artifacts: s.outputs.map(artifactRef),
        })),
      },
    };
  },
});

const validateRun = defineTool({
  name: 'validate_run',
  title: 'Validate a meta run',
  description:
    'Check a finished meta run against the artifact contract and invariants (`quant meta validate`). Read only unless `write` is true, which also records the verdict in reports/meta_validation.json of the run (`--write`). A failed check is an E_VALIDATION_FAILED error carrying the verdict.',
  input: validateRunInput,
  readOnly: false,
  idempotent: true,
  async run(args, ctx) {
    await confineRun(ctx, args.run_id);
    const write = args.write === true;
    const { verdict, file, runDir } = await validateMetaRunAndRecord(ctx.workspace, args.run_id, {
      write,
      env: ctx.env,
    });
    if (!verdict.ok) throw validationFailedError(args.run_id, verdict, file ?? runDir, ctx.workspace);
    return {
      summary: `${verdict.passed} passed, ${verdict.failed} failed${write ? ' (verdict written)' : ''}`,
      data: {
        verdict,
        ...(write ? { address: formatArtifactAddress(args.run_id, 'reports/meta_validation.json') } : {}),
      },
    };
  },
});

const verifyAudit = defineTool({
  name: 'verify_audit',
  title: 'Verify an audit ledger',
  description:
    "Verify a run's audit.jsonl (`quant audit verify`): the hash chain (E_AUDIT_BROKEN naming the first broken line), its anchor in run.json (E_AUDIT_APPENDED, E_AUDIT_TRUNCATED, E_AUDIT_REWRITTEN), the anchor's HMAC when the server has QUANT_LEDGER_KEY (E_AUDIT_SIGNATURE), and every output file the ledger records inside the run folder against its hash (E_AUDIT_OUTPUT).",
  input: runIdInput,
  readOnly: true,
  idempotent: true,
  async run(args, ctx) {
    const report = await QuantSDK.verifyAudit(args.run_id, {
      workspace: ctx.workspace,
      env: ctx.env,
      confine: true,
    });
    const failure = auditFailure(report);
    if (failure !== undefined) throw failure;
    return {
      summary: `audit ok: runs/${args.run_id}/audit.jsonl, ${report.records} records, chain intact`,
      data: { ...report },
    };
  },
});

const listRunsTool = defineTool({
  name: 'list_runs',
  title: 'List runs',
  description:
    'Runs of the workspace (run.json of each, with its quant:// address), oldest first; optionally of one profile.',
  input: listRunsInput,
  readOnly: true,
  idempotent: true,
  async run(args, ctx) {
    const { runs } = await QuantSDK.listRuns({
      workspace: ctx.workspace,
      confine: true,
      ...(args.profile === undefined ? {} : { profile: args.profile }),
    });
    return {
      summary: `${runs.length} run(s)`,
      data: { runs: runs.map((r) => ({ ...r, address: formatArtifactAddress(r.run_id) })) },
    };
  },
});

/** The tools of `quant mcp`, in the order `tools/list` shows them. */
export const MCP_TOOLS: readonly Tool[] = Object.freeze([
  listStages,
  describeStage,
  runStage,
  runMetaPipeline,
  validateRun,
  verifyAudit,
  listRunsTool,
]);
