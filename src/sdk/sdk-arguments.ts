/**
 * The argument schemas of {@link QuantSDK}'s public methods, checked at every entry (JavaScript callers
 * have no type checking): a wrong type or a misspelt option (`worksapce`) is `E_PARAMS` naming the
 * method, the argument and the option, with a did-you-mean — never a `TypeError`, never silently ignored.
 */
import { z } from 'zod';
import { checkArgument, functionSchema } from '../core/arguments.js';
import { closestMatches } from '../util/suggest.js';
import { SLEEVE_EXECUTORS } from './sleeve-jobs.js';
import type { Env } from '../util/env.js';

const text = z.string();
const workspaceShape = {
  workspace: text.optional(),
  cwd: text.optional(),
  env: z.custom<Env>(isEnvironment, { message: 'an object of strings, like process.env' }).optional(),
  confine: z.boolean().optional(),
};
const runShape = {
  ...workspaceShape,
  runId: text.optional(),
  manifest: text.optional(),
  onProgress: functionSchema.optional(),
  onWarning: functionSchema.optional(),
  fresh: z.boolean().optional(),
  signal: z.instanceof(AbortSignal).optional(),
};
/** The keys of {@link RunOptions}, for callers that hand a wider options object on to a run. */
export const RUN_OPTION_KEYS: readonly string[] = Object.keys(runShape);

const SCHEMAS = {
  id: text,
  name: text,
  runId: text,
  runIds: z.array(text).min(1),
  path: text,
  metaProfile: text,
  format: z.enum(['html', 'md']),
  pipelineParams: z.record(z.string(), z.unknown()).optional(),
  workspaceOptions: z.strictObject(workspaceShape).optional(),
  infoOptions: z.strictObject({ ...workspaceShape, manifest: text.optional() }).optional(),
  listRunsOptions: z.strictObject({ ...workspaceShape, profile: text.optional() }).optional(),
  auditOptions: z.strictObject({ ...workspaceShape, strict: z.boolean().optional() }).optional(),
  runOptions: z.strictObject(runShape).optional(),
  metaRunOptions: z
    .strictObject({
      ...runShape,
      riskProfiles: z.array(text).optional(),
      cache: z.boolean().optional(),
      sleeveRuns: z.record(z.string(), text).optional(),
      // Ranges (concurrency ≥ 1, ...) are checked where the sleeves are produced.
      executeSleeves: z
        .strictObject({
          executor: z.enum(SLEEVE_EXECUTORS).optional(),
          concurrency: z.number().optional(),
          redis: text.optional(),
          queue: text.optional(),
          redisTimeoutMs: z.number().optional(),
          timeoutMs: z.number().optional(),
          signal: z.instanceof(AbortSignal).optional(),
          onNotice: functionSchema.optional(),
          rebuild: z.boolean().optional(),
        })
        .optional(),
      backtest: z.boolean().optional(),
      producedSleeves: z
        .looseObject({
          pins: z.record(z.string(), text),
          results: z.array(
            z.looseObject({ profile: text, run_id: text, status: z.enum(['produced', 'reused']) }),
          ),
        })
        .optional(),
    })
    .optional(),
  // Internal hooks (the meta cache's carry more members): only the two the pipeline calls are checked.
  hooks: z
    .looseObject({ restore: functionSchema.optional(), completed: functionSchema.optional() })
    .optional(),
  filter: z.strictObject({ category: text.optional(), tag: text.optional() }).optional(),
  constructorOptions: z
    .strictObject({
      registry: z.custom<object>(isRegistry, {
        message: 'a registry (createRegistry(stages, pipelines) or StageRegistry)',
      }),
    })
    .partial()
    .optional(),
} as const;

/** Which schema checks an argument. */
export type SdkArgument = keyof typeof SCHEMAS;

/** An environment: an object (process.env is not a plain one) whose values are strings. */
function isEnvironment(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((v) => v === undefined || typeof v === 'string');
}

function isRegistry(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    ['listStages', 'getStage', 'hasStage', 'getPipeline'].every((k) => typeof r[k] === 'function') &&
    Array.isArray(r['stages']) &&
    Array.isArray(r['pipelines'])
  );
}

/** A constructor key that belongs to every call instead (`workspace`, or a misspelling of it), said so. */
function perCallNote(key: string): string {
  if (RUN_OPTION_KEYS.includes(key)) {
    return ` (${key} is an option of each call: sdk.runStage(id, params, { ${key} }))`;
  }
  const near = closestMatches(key, RUN_OPTION_KEYS, 1)[0];
  if (near === undefined) return '';
  return ` (did you mean "${near}"? it is an option of each call: sdk.runStage(id, params, { ${near} }))`;
}

/**
 * Check the arguments of `QuantSDK.<method>`: each `[kind, value, name]` against the schema of its kind.
 * Throws `E_PARAMS` on the first argument that does not fit (all its problems at once).
 */
export function checkSdkArguments(
  method: string,
  ...args: readonly (readonly [SdkArgument, unknown, string])[]
): void {
  for (const [kind, value, argument] of args) {
    checkArgument(SCHEMAS[kind], value, {
      method: method === 'constructor' ? 'new QuantSDK' : `QuantSDK.${method}`,
      argument,
      ...(kind === 'constructorOptions'
        ? {
            hint: 'new QuantSDK() or new QuantSDK({ registry }); where to run goes with each call (runStage(id, params, { workspace }))',
            unknownKeyNote: perCallNote,
          }
        : {}),
    });
  }
}
