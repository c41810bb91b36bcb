/**
 * The metadata of a meta-pipeline cache entry (`entry.json`), read as untrusted JSON: a strict schema,
 * then the checks that tie it together — the stages it returns are the stages its ledger records, every
 * output the ledger records lies in the run folder under a plain name, and the files it lists are exactly
 * those outputs. The result names each file with the SHA-256 the ledger records, which the cache store
 * then checks against the stored bytes.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import {
  assertValidRunId,
  cacheFileNameProblem,
  type CacheMetaCheck,
  type LedgerEntryInput,
} from '../artifacts/index.js';

const FileRecordSchema = z
  .object({
    path: z.string().min(1).max(4096),
    sha256: z.union([z.string().regex(/^[0-9a-f]{64}$/, 'not 64 hex digits'), z.literal('missing')]),
  })
  .strict();
const JsonObjectSchema = z.record(z.string(), z.json());

const EntrySchema = z
  .object({
    type: z.enum(['intent', 'outcome', 'decision']),
    step: z.string().min(1).max(200),
    status: z.string().min(1).max(200),
    context: JsonObjectSchema,
    data: JsonObjectSchema,
  })
  .strict();

const StageSchema = z
  .object({
    stageId: z.string().min(1).max(200),
    value: z.json().optional(),
    summary: z.string().max(100_000),
    outputs: z.array(FileRecordSchema).max(10_000),
    inputs: z.array(FileRecordSchema).max(10_000),
  })
  .strict();

/** `entry.json` of a meta cache entry. */
export const MetaCacheEntrySchema = z
  .object({
    schema_version: z.literal(1),
    run_id: z.string(),
    stages: z.array(StageSchema).min(1).max(1000),
    entries: z.array(EntrySchema).max(100_000),
    /** Files stored, by their path inside the run folder. */
    files: z.array(z.string().max(4096)).max(10_000),
  })
  .strict();

export type MetaCacheEntry = z.infer<typeof MetaCacheEntrySchema>;
type FileRecord = z.infer<typeof FileRecordSchema>;

/** What a successful stage's outcome record holds (more members, such as timings, are allowed). */
const OutcomeDataSchema = z.object({
  summary: z.string(),
  inputs: z.array(FileRecordSchema),
  outputs: z.array(FileRecordSchema),
});

interface Outcome {
  readonly step: string;
  readonly summary: string;
  readonly inputs: readonly FileRecord[];
  readonly outputs: readonly FileRecord[];
}

type Problem = { readonly ok: false; readonly reason: string };
const problem = (reason: string): Problem => ({ ok: false, reason });

function jsonPath(path: readonly PropertyKey[]): string {
  return `$${path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('')}`;
}

/** JSON.parse keeps `__proto__` as an own key, which zod and object spreads then drop without a word. */
function protoKeyPath(value: unknown, path: string): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = protoKeyPath(v, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) {
      if (key === '__proto__') return `${path}.__proto__`;
      const found = protoKeyPath((value as Record<string, unknown>)[key], `${path}.${key}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The successful outcome records of the replayed ledger, checking that it is a run of whole stages. */
function outcomesOf(entries: readonly LedgerEntryInput[]): Outcome[] | Problem {
  const outcomes: Outcome[] = [];
  let open: string | undefined;
  for (const [i, entry] of entries.entries()) {
    const at = `entry.json $.entries[${i}]`;
    if (entry.type === 'intent') {
      if (open !== undefined) return problem(`${at}: stage ${entry.step} starts before ${open} ended`);
      open = entry.step;
    } else if (entry.type === 'outcome') {
      if (entry.step !== open) return problem(`${at}: an outcome of ${entry.step} without its intent`);
      if (entry.status !== 'success') return problem(`${at}: stage ${entry.step} did not succeed`);
      const data = OutcomeDataSchema.safeParse(entry.data ?? {});
      if (!data.success) {
        const issue = data.error.issues[0];
        return problem(`${at}.data${jsonPath(issue?.path ?? []).slice(1)}: ${issue?.message ?? 'invalid'}`);
      }
      outcomes.push({ step: entry.step, ...data.data });
      open = undefined;
    }
  }
  if (open !== undefined) return problem(`entry.json: stage ${open} has no outcome record`);
  return outcomes;
}

/** The files the outcomes record in the run folder `runs/<runId>/`: name → SHA-256 of the last record. */
function recordedFiles(outcomes: readonly Outcome[], runId: string): Map<string, string> | Problem {
  const prefix = `runs/${runId}/`;
  const recorded = new Map<string, string>();
  for (const outcome of outcomes) {
    for (const output of outcome.outputs) {
      if (!output.path.startsWith(prefix))
        return problem(
          `entry.json: its ledger records the output ${JSON.stringify(output.path.slice(0, 80))} of ${outcome.step} outside the run folder ${prefix}`,
        );
      const rel = output.path.slice(prefix.length);
      const bad = cacheFileNameProblem(rel);
      if (bad !== undefined) return problem(`entry.json: an output of ${outcome.step}: ${bad}`);
      // A file a stage recorded as missing, or replaced later, is recorded by its last record.
      recorded.delete(rel);
      if (output.sha256 !== 'missing') recorded.set(rel, output.sha256);
    }
  }
  return recorded;
}

function sameStages(meta: MetaCacheEntry, outcomes: readonly Outcome[]): Problem | undefined {
  if (meta.stages.length !== outcomes.length)
    return problem(
      `entry.json: ${meta.stages.length} stages, but its ledger records ${outcomes.length} completed stages`,
    );
  for (const [i, stage] of meta.stages.entries()) {
    const outcome = outcomes[i] as Outcome;
    const same =
      stage.stageId === outcome.step &&
      stage.summary === outcome.summary &&
      isDeepStrictEqual(stage.outputs, outcome.outputs) &&
      isDeepStrictEqual(stage.inputs, outcome.inputs);
    if (!same)
      return problem(
        `entry.json $.stages[${i}] (${stage.stageId.slice(0, 60)}) differs from the outcome its ledger records`,
      );
  }
  return undefined;
}

function sameListing(listed: readonly string[], recorded: ReadonlyMap<string, string>): Problem | undefined {
  const names = new Set(listed);
  for (const rel of listed) {
    const bad = cacheFileNameProblem(rel);
    if (bad !== undefined) return problem(`entry.json $.files: ${bad}`);
    if (!recorded.has(rel))
      return problem(
        `entry.json $.files lists ${JSON.stringify(rel)}, which its ledger records no output as`,
      );
  }
  if (names.size !== listed.length) return problem('entry.json $.files lists a file twice');
  for (const rel of recorded.keys()) {
    if (!names.has(rel))
      return problem(`its ledger records ${JSON.stringify(rel)}, which entry.json $.files does not list`);
  }
  return undefined;
}

/**
 * Check the parsed `entry.json` of a meta cache entry (untrusted): the metadata and the files it must
 * hold with the hashes its ledger records, or the first problem (with the JSON path where there is one).
 */
export function checkMetaCacheEntry(value: unknown): CacheMetaCheck<MetaCacheEntry> {
  const proto = protoKeyPath(value, '$');
  if (proto !== undefined) return problem(`entry.json ${proto}: a "__proto__" key`);
  const parsed = MetaCacheEntrySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return problem(`entry.json ${jsonPath(issue?.path ?? [])}: ${issue?.message ?? 'invalid'}`);
  }
  const meta = parsed.data;
  try {
    assertValidRunId(meta.run_id);
  } catch (error) {
    return problem(`entry.json $.run_id: ${error instanceof Error ? error.message : String(error)}`);
  }
  const outcomes = outcomesOf(meta.entries);
  if (!Array.isArray(outcomes)) return outcomes;
  const stages = sameStages(meta, outcomes);
  if (stages !== undefined) return stages;
  const recorded = recordedFiles(outcomes, meta.run_id);
  if (!(recorded instanceof Map)) return recorded;
  const listing = sameListing(meta.files, recorded);
  if (listing !== undefined) return listing;
  const files = new Map([...recorded].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { ok: true, meta, files, recordedBy: 'its ledger' };
}
