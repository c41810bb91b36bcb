import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  assertConfined,
  canonicalJson,
  readCacheEntry,
  sha256File,
  sha256Hex,
  writeCacheEntry,
  writeFileAtomic,
  type LedgerEntryInput,
} from '../artifacts/index.js';
import type { ResolvedManifestDoc } from '../stages/index.js';
import type { PipelineHooks, StageRunResult } from './quant-sdk.js';
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
): Promise<string> {
  const runs = [...new Set(doc.sleeves.map((s) => s.run_id))].sort();
  const sleeves: Record<string, [string, string][]> = {};
  for (const id of runs) {
    const dir = join(workspace, 'runs', id);
    const files = await listFiles(dir);
    sleeves[id] = await Promise.all(
      files.map(async (f) => [relative(dir, f), await sha256File(f)] as [string, string]),
    );
  }
  // `schema` changes whenever the meta artifacts change shape (2: the `annualisation` records), so an
  // entry written by an older build of the same version is never restored into a newer run.
  return sha256Hex(
    canonicalJson({ schema: 2, tool_version: TOOL_VERSION, pipeline, params, resolution: doc, sleeves }),
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

/**
 * Pipeline hooks that restore every stage but the report from the cache entry of `key` (copying the
 * artifacts into the run folder and replaying the stages' ledger records, so a hit leaves the same files
 * and ledger as a miss), or store the entry after a successful run.
 */
export function metaCacheHooks(workspace: string, key: string): MetaCacheHooks {
  let hit = false;
  return {
    hit: () => hit,
    async restore(session) {
      const entry = await readCacheEntry<CacheMeta>(workspace, NAMESPACE, key);
      if (entry === null) return [];
      for (const rel of entry.meta.files) {
        await assertConfined(entry.file(rel), 'read');
        await writeFileAtomic(join(session.runDir, rel), await readFile(entry.file(rel)));
      }
      await session.ledger.appendMany(retarget(entry.meta.entries, entry.meta.run_id, session.runId));
      hit = true;
      return entry.meta.stages.map((s): StageRunResult => ({
        stageId: s.stageId,
        runId: session.runId,
        runDir: session.runDir,
        value: s.value,
        summary: s.summary,
        // The meta stages warn about nothing their inputs could change (the cache key covers them).
        warnings: [],
        inputs: retarget(s.inputs, entry.meta.run_id, session.runId),
        outputs: retarget(s.outputs, entry.meta.run_id, session.runId),
      }));
    },
    async completed(session, results, ledgerStart) {
      if (hit) return;
      const cut = session.ledger.records.findIndex(
        (r, i) => i >= ledgerStart && r.type === 'intent' && r.step === ALWAYS_RUN,
      );
      if (cut < 0) return;
      const cached = results.filter((r) => r.stageId !== ALWAYS_RUN);
      const entries = session.ledger.records.slice(ledgerStart, cut).map((r): LedgerEntryInput => ({
        type: r.type as LedgerEntryInput['type'],
        step: r.step,
        status: r.status,
        context: r.context,
        data: r.data,
      }));
      const files = new Map<string, string>();
      for (const stage of cached) {
        for (const o of stage.outputs) {
          const abs = join(workspace, o.path);
          const rel = relative(session.runDir, abs);
          if (rel.startsWith('..') || !(await stat(abs).catch(() => null))) continue;
          files.set(rel, abs);
        }
      }
      const meta: CacheMeta = {
        schema_version: 1,
        run_id: session.runId,
        stages: cached.map((s) => ({
          stageId: s.stageId,
          value: s.value,
          summary: s.summary,
          outputs: s.outputs,
          inputs: s.inputs,
        })),
        entries,
        files: [...files.keys()].sort(),
      };
      await writeCacheEntry(workspace, NAMESPACE, key, files, meta);
    },
  };
}
