/**
 * Run-time checks of stage and pipeline definitions handed to the public helpers (`defineStage`,
 * `definePipeline`, `createRegistry`, `stageParamsJsonSchema`) by JavaScript callers without type
 * checking: a malformed definition is `E_PARAMS` naming the field, never a `TypeError` later.
 */
import { z } from 'zod';
import { QuantError } from '../errors.js';
import { STAGE_CATEGORIES } from '../util/vocabulary.js';

const nameList = z.array(z.string().min(1));

const stageShape = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  description: z.string(),
  category: z.enum(STAGE_CATEGORIES),
  tags: nameList,
  aliases: nameList,
  // Any zod schema, also from another copy of zod: what the engine calls on it.
  params: z.custom<z.ZodType>(
    (v) =>
      typeof v === 'object' && v !== null && typeof (v as { safeParse?: unknown }).safeParse === 'function',
    { message: 'expected a zod schema' },
  ),
  output: z.string(),
  run: z.custom<unknown>((v) => typeof v === 'function', { message: 'expected a function' }),
});

const pipelineShape = z.looseObject({
  name: z.string().min(1),
  description: z.string(),
  stages: nameList,
});

function check(schema: z.ZodType, value: unknown, what: string, hint: string): void {
  if (typeof value !== 'object' || value === null) {
    throw new QuantError(
      'E_PARAMS',
      `${what}: received ${value === null ? 'null' : typeof value}, not an object`,
      {
        hint,
      },
    );
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return;
  const issues = parsed.error.issues.map((i) => ({
    path: [what, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  throw new QuantError('E_PARAMS', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { hint, issues });
}

/** Throw `E_PARAMS` unless `value` has the fields of a stage definition. */
export function assertStageDefinition(value: unknown, what = 'stage'): void {
  check(
    stageShape,
    value,
    what,
    'a stage needs id, name, description, category, tags, aliases, params (zod), output and run',
  );
}

/** Throw `E_PARAMS` unless `value` has the fields of a pipeline definition. */
export function assertPipelineDefinition(value: unknown, what = 'pipeline'): void {
  check(pipelineShape, value, what, 'a pipeline needs name, description and stages (stage ids)');
}

/** Throw `E_PARAMS` unless `value` is an array; `what` names the argument. */
export function assertArray(value: unknown, what: string): asserts value is readonly unknown[] {
  if (!Array.isArray(value)) {
    throw new QuantError(
      'E_PARAMS',
      `${what}: received ${value === null ? 'null' : typeof value}, not an array`,
    );
  }
}
