import type { z } from 'zod';
import type { StageCategory } from '../util/vocabulary.js';
import { assertPipelineDefinition, assertStageDefinition } from './definition-checks.js';

export { STAGE_CATEGORIES, type StageCategory } from '../util/vocabulary.js';

/** What a running stage may do besides computing: resolve paths, record files, log decisions. */
export interface StageContext {
  readonly runId: string;
  /** Absolute path of `runs/<run_id>/`. */
  readonly runDir: string;
  /** Absolute workspace folder. */
  readonly workspace: string;
  /** Folder against which relative paths given by the user resolve. */
  readonly cwd: string;
  /** Absolute manifest path (it may not exist). */
  readonly manifestPath: string;
  /** The run's clock: `SOURCE_DATE_EPOCH` when set, so artifacts are reproducible. */
  readonly now: Date;
  readonly toolVersion: string;
  /**
   * Resolve a user-given path against {@link StageContext.cwd}. In a confined run (the MCP server, SDK
   * option `confine`) a path outside the workspace, or behind a symlink pointing out, is `E_PATH_ESCAPE`.
   */
  resolvePath(path: string): string;
  /**
   * Resolve a path the stage will write (an `output` param, or its default inside the run folder): refused
   * with `E_OUTPUT_FORBIDDEN` when it is, or reaches through a symlink, run state — a run.json,
   * audit.jsonl or .lock, another run's folder, `.cache/`, the manifest. Confined runs may write outputs
   * only into the run folder or `exports/`. Call it before writing anything.
   */
  resolveOutput(path: string): Promise<string>;
  /** Record a file the stage read; its hash lands in the ledger outcome. */
  recordInput(path: string): void;
  /** Record a file the stage wrote; its hash lands in the ledger outcome. */
  recordOutput(path: string): void;
  /** Append a `decision` record (exclusion, fallback, ...) to the run's ledger. */
  decision(
    step: string,
    data: Readonly<Record<string, unknown>>,
    context?: Readonly<Record<string, unknown>>,
  ): Promise<void>;
  /** Append arbitrary ledger records on behalf of the stage (e.g. per-window outcomes). */
  record(entries: readonly LedgerEntry[]): Promise<void>;
  /** Report progress; shown on a TTY, silent otherwise. */
  progress(message: string): void;
  /**
   * A one-line warning about the input (rows dropped, a setting overridden): printed on stderr by the
   * CLI whatever the terminal, and returned with the stage's result. Record it in an artifact too.
   */
  warn(message: string): void;
}

export interface LedgerEntry {
  readonly type: 'intent' | 'outcome' | 'decision';
  readonly step: string;
  readonly status: string;
  readonly context?: Readonly<Record<string, unknown>>;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** What a stage's run function returns: a JSON-serialisable value and a one-line summary. */
export interface StageOutput<R> {
  readonly value: R;
  readonly summary: string;
}

/** A stage is a value: identity, documentation, a params schema and a run function. */
export interface StageDefinition<S extends z.ZodType = z.ZodType, R = unknown> {
  /** Stable id, `<domain>.<name>`. */
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly category: StageCategory;
  readonly tags: readonly string[];
  /** Other ids that resolve to this stage (e.g. the predecessor's names). */
  readonly aliases: readonly string[];
  /** The params schema; the JSON Schema is derived from it. */
  readonly params: S;
  /** What the stage writes, in one or two sentences. */
  readonly output: string;
  run(params: z.output<S>, ctx: StageContext): Promise<StageOutput<R>>;
}

/** The value a stage's run returns (`StageRunResult.stageValue`; an object value's fields are also on the result itself), from its definition's type. */
export type StageValue<T> = T extends StageDefinition<z.ZodType, infer R> ? R : never;

/** A stage with its types erased, as stored in a registry. */
export type Stage = StageDefinition<z.ZodType, unknown>;

/** Identity helper that infers the params type from the schema. */
export function defineStage<S extends z.ZodType, R>(
  definition: StageDefinition<S, R>,
): StageDefinition<S, R> {
  assertStageDefinition(definition);
  return Object.freeze({
    ...definition,
    tags: Object.freeze([...definition.tags]),
    aliases: Object.freeze([...definition.aliases]),
  });
}

/** A named, ordered list of stage ids, declared in the catalog like stages. */
export interface PipelineDefinition {
  readonly name: string;
  readonly description: string;
  readonly stages: readonly string[];
}

export function definePipeline(definition: PipelineDefinition): PipelineDefinition {
  assertPipelineDefinition(definition);
  return Object.freeze({ ...definition, stages: Object.freeze([...definition.stages]) });
}
