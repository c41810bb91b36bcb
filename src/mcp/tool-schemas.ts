/**
 * Input schemas of the MCP tools, built from the zod schemas the CLI already uses: the stage categories,
 * each stage's params schema (`quant stage schema`), and the meta stages' params (`quant meta run`).
 * Nothing here restates a stage's params; the JSON Schemas sent to clients are derived with
 * `z.toJSONSchema` / {@link stageParamsJsonSchema}.
 */
import { z } from 'zod';
import { STAGE_CATEGORIES } from '../core/stage.js';
import type { Registry } from '../core/registry.js';
import { stageParamsJsonSchema } from '../core/params.js';
import { metaStageParams } from '../sdk/meta-run.js';

export type JsonSchema = { [key: string]: unknown };

// Run ids are left to the run folder to judge, so that a bad one is E_RUN_ID exactly as on the CLI.
const runId = z
  .string()
  .describe(
    'run id, ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ (default for new runs: <profile or stage>_<YYYYMMDD-HHMMSS>)',
  );

const stageRef = z
  .string()
  .min(1)
  .describe('a stage id or alias (see list_stages), or a quant://<stage id>?key=value&... address');

export const listStagesInput = z.strictObject({
  category: z.enum(STAGE_CATEGORIES).optional().describe('only stages of this category'),
  tag: z.string().min(1).optional().describe('only stages with this tag'),
});

export const describeStageInput = z.strictObject({ stage: stageRef });

export const runStageInput = z.strictObject({
  stage: stageRef,
  params: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      "the stage's params (JSON Schema: describe_stage); they override params given in a quant:// address. Paths resolve against the workspace and must stay inside it; an output goes into the run folder (the default) or exports/",
    ),
  run_id: runId.optional(),
});

export const runMetaPipelineInput = metaStageParams.extend({
  run_id: runId.optional(),
});

export const runIdInput = z.strictObject({ run_id: runId });

export const validateRunInput = z.strictObject({
  run_id: runId,
  write: z
    .boolean()
    .optional()
    .describe(
      'also write the verdict to reports/meta_validation.json of the run (`quant meta validate --write`); default false: the run is only read',
    ),
});

export const listRunsInput = z.strictObject({
  profile: z.string().min(1).optional().describe('only runs of this profile'),
});

/** The JSON Schema (draft 2020-12) of a tool input, as sent in `tools/list`. */
export function toolJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

/**
 * `run_stage`'s JSON Schema: the envelope, plus one `if stage is <id or alias> then params is <that
 * stage's params schema>` branch per stage of the registry. A client thus sees (and may validate) the
 * exact params of each stage; an address or unknown id matches no branch and is judged by the server.
 */
export function runStageJsonSchema(registry: Registry): JsonSchema {
  const branches = registry.stages.map((stage) => {
    const { $schema: _schema, ...params } = stageParamsJsonSchema(stage);
    return {
      if: { properties: { stage: { enum: [stage.id, ...stage.aliases] } }, required: ['stage'] },
      then: { properties: { params: { ...params, title: `params of ${stage.id}` } } },
    };
  });
  return { ...toolJsonSchema(runStageInput), allOf: branches };
}
