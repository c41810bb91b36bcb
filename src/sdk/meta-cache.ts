import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { isQuantError } from '../errors.js';
import {
  canonicalJson,
  lookupCacheEntry,
  sha256Input,
  sha256Hex,
  writeCacheEntry,
  writeFilesAtomic,
  type LedgerEntryInput,
} from '../artifacts/index.js';
import type { InputFileRecord, ResolvedManifestDoc } from '../stages/index.js';
import { checkMetaCacheEntry } from './_meta-cache-entry.js';
import type { PipelineHooks } from './quant-sdk.js';
import { stageRunResult, type StageRunResult } from './stage-result.js';
import type { RunSession } from './run-session.js';
import { TOOL_VERSION } from './version.js';

const NAMESPACE = 'meta';
/** The stage that is always run, even on a cache hit: its output names the run. */
const ALWAYS_RUN = 'meta.report';

interface CachedStage {
  readonly stageId: string;
  readonly value: unknown;
  readonly summary: string;
  readonly outputs: readonly { path: string; sha256: string }[];
  readonly inputs: readonly { path: string; sha256: string }[];
}

/** What is stored as `entry.json` (read back through `checkMetaCacheEntry`). */
interface CacheMeta {
  readonly schema_version: 1;
  readonly run_id: string;
  readonly stages: readonly CachedStage[];
  readonly entries: readonly LedgerEntryInput[];
  /** Files stored, by their path inside the run folder. */
  readonly files: readonly string[];
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.name.startsWith('.')) continue; // locks and temp files
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(p)));
    else if (entry.isFile()) out.push(p);
  }
  return out.sort();
}

/**
 * The cache key of a meta pipeline: tool version, pipeline, params, the resolved tree (manifest hash,
 * every sleeve's run id) and the hash of every file of every sleeve run it reads. Any changed input byte
 * changes the key.
 */
export async function metaCacheKey(
  workspace: string,
  doc: ResolvedManifestDoc,
  pipeline: string,
  params: Record<string, unknown>,
  inputs: readonly InputFileRecord[] = [],
): Promise<string> {
  const runs = [...new Set(doc.sleeves.map((s) => s.run_id))].sort();
  const sleeves: Record<string, [string, string][]> = {};
  for (const id of runs) {
    const dir = join(workspace, 'runs', id);
    const files = await listFiles(dir);
    sleeves[id] = await Promise.all(
      files.map(async (f) => [relative(dir, f), await sha256Input(f)] as [string, string]),
    );
  }
  // `schema` changes whenever the meta artifacts change shape (2: the `annualisation` records, 3: the benchmark artifacts), so an
  // entry written by an older build of the same version is never restored into a newer run.
  return sha256Hex(
    canonicalJson({
      schema: 3,
      tool_version: TOOL_VERSION,
      pipeline,
      params,
      resolution: doc,
      sleeves,
      // Benchmark and risk-free files: a changed file must not restore the figures of the old one.
      inputs: inputs.map((f) => [f.file, f.sha256]),
    }),
  );
}

/** Replace the cached run id by the current one in ledger entries and result paths. */
function retarget<T>(value: T, from: string, to: string): T {
  const prefix = `runs/${from}/`;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string')
      return v === from ? to : v.startsWith(prefix) ? `runs/${to}/${v.slice(prefix.length)}` : v;
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

export interface MetaCacheHooks extends PipelineHooks {
  /** True once `restore` found an entry. */
  hit(): boolean;
}

/** Record a decision about the cache in the run's ledger and say it once on the warning channel. */
async function cacheDecision(
  session: RunSession,
  step: 'cache.lookup' | 'cache.store',
  status: string,
  entry: string,
  data: Record<string, string>,
  warning: string,
): Promise<number> {
  const record = await session.ledger.append({
    type: 'decision',
    step,
    status,
    context: { cache: entry },
    data,
  });
  session.options.onWarning?.(warning);
  return record.seq;
}

/** The cached stages' files inside the run folder (name → absolute path), or undefined if one lies outside. */
async function filesToStore(
  workspace: string,
  runDir: string,
  cached: readonly StageRunResult[],
): Promise<Map<string, string> | undefined> {
  const files = new Map<string, string>();
  for (const stage of cached) {
    for (const o of stage.outputs) {
      const abs = join(workspace, o.path);
      const rel = relative(runDir, abs);
      // An output outside the run folder cannot be restored into another run: no entry can prove it.
      if (rel.startsWith('..')) return undefined;
      if (!(await stat(abs).catch(() => null))) continue;
      files.set(rel.split('\\').join('/'), abs);
    }
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The warnings of a stage's outcome among the entry's ledger records (each `<stage id>: <message>`). */
function recordedWarnings(entries: readonly LedgerEntryInput[], stageId: string): string[] {
  const outcome = entries.find((e) => e.type === 'outcome' && e.step === stageId);
  const list = outcome?.data?.['warnings'];
  return Array.isArray(list) ? list.filter((w): w is string => typeof w === 'string') : [];
}

/**
 * Pipeline hooks that restore every stage but the report from the cache entry of `key` (writing the
 * verified artifacts into the run folder and replaying the stages' ledger records, so a hit leaves the
 * same files and ledger as a miss), or store the entry after a successful run. An entry that cannot be
 * proven (see `lookupCacheEntry`) is a miss recorded as a `cache.lookup` decision; a store that fails is a
 * `cache.store` decision — both also a warning, never a failure: the cache is optional.
 */
export function metaCacheHooks(workspace: string, key: string): MetaCacheHooks {
  let hit = false;
  let rejected = false;
  /** Ledger records this cache wrote itself: never part of a stored entry. */
  const own = new Set<number>();
  return {
    hit: () => hit,
    async restore(session) {
      const lookup = await lookupCacheEntry(workspace, NAMESPACE, key, checkMetaCacheEntry);
      if (lookup.kind === 'absent') return [];
      if (lookup.kind === 'rejected') {
        rejected = true;
        const data = { reason: lookup.reason, ...(lookup.file === undefined ? {} : { file: lookup.file }) };
        own.add(
          await cacheDecision(
            session,
            'cache.lookup',
            'rejected',
            lookup.entry,
            data,
            `cache entry ${lookup.entry} not used: ${lookup.reason}; every stage is computed`,
          ),
        );
        return [];
      }
      const { meta } = lookup;
      await writeFilesAtomic(
        new Map([...lookup.files].map(([rel, bytes]) => [join(session.runDir, rel), bytes])),
      );
      await session.ledger.appendMany(retarget(meta.entries, meta.run_id, session.runId));
      hit = true;
      const results = meta.stages.map((s): StageRunResult =>
        stageRunResult(
          {
            stageId: s.stageId,
            runId: session.runId,
            runDir: session.runDir,
            summary: s.summary,
            // The warnings the stage gave when it was computed, as its replayed outcome record keeps them.
            warnings: recordedWarnings(meta.entries, s.stageId),
            inputs: retarget(s.inputs, meta.run_id, session.runId),
            outputs: retarget(s.outputs, meta.run_id, session.runId),
          },
          s.value,
        ),
      );
      // Said again as when the stages were computed: a hit answers like a miss.
      for (const r of results) for (const w of r.warnings) session.options.onWarning?.(w);
      return results;
    },
    async completed(session, results, ledgerStart) {
      if (hit) return;
      const cut = session.ledger.records.findIndex(
        (r, i) => i >= ledgerStart && r.type === 'intent' && r.step === ALWAYS_RUN,
      );
      if (cut < 0) return;
      const cached = results.filter((r) => r.stageId !== ALWAYS_RUN);
      const entries = session.ledger.records
        .slice(ledgerStart, cut)
        .filter((r) => !own.has(r.seq))
        .map((r): LedgerEntryInput => ({
          type: r.type as LedgerEntryInput['type'],
          step: r.step,
          status: r.status,
          context: r.context,
          data: r.data,
        }));
      const files = await filesToStore(workspace, session.runDir, cached);
      if (files === undefined) return;
      const meta: CacheMeta = {
        schema_version: 1,
        run_id: session.runId,
        stages: cached.map((s) => ({
          stageId: s.stageId,
          value: s.stageValue,
          summary: s.summary,
          outputs: s.outputs,
          inputs: s.inputs,
        })),
        entries,
        files: [...files.keys()],
      };
      try {
        await writeCacheEntry(workspace, NAMESPACE, key, files, meta, { replace: rejected });
      } catch (error) {
        const code = isQuantError(error) ? error.code : 'E_INTERNAL';
        const reason = error instanceof Error ? error.message : String(error);
        await cacheDecision(
          session,
          'cache.store',
          'failed',
          `.cache/${NAMESPACE}/${key}`,
          { code, reason },
          `${code}: ${reason}; the run is complete without its cache entry`,
        );
      }
    },
  };
}
