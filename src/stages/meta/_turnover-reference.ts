/**
 * The reference weights of a level's `turnover`: the level's weights in the last successful run of the
 * same meta profile (its ledger, anchor and recorded outputs verified first: a tampered run is its audit
 * code, an unreadable weights file E_RUN_CORRUPT), or a `holdings` CSV of sleeve weights (relative to
 * the manifest's folder, inside the workspace, every line checked). Without either — the first run, or
 * a previous run without this risk profile — the turnover terms are inactive and the reason recorded.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { QuantError, isQuantError } from '../../errors.js';
import { didYouMean } from '../../util/suggest.js';
import {
  assertConfined,
  auditFailure,
  auditRun,
  LedgerKey,
  listRuns,
  resolveInside,
  runDir,
  sha256File,
} from '../../artifacts/index.js';
import { formatJsonPath, walkMetaTree, type MetaNode, type Manifest } from '../../manifest/index.js';
import { resolveMetaTree } from '../../manifest/index.js';
import type { MetaEnv } from './_level.js';
import { metaArtifactPaths, type ResolvedManifestDoc } from './_artifact-types.js';
import type { InputFileRecord } from './_benchmark-input.js';

/** Where the reference came from and its weights by sleeve id. */
export type LevelReference =
  | {
      readonly active: true;
      readonly source: 'previous_run' | 'holdings';
      /** The previous run, or the holdings file relative to the workspace. */
      readonly from: string;
      readonly weights: Readonly<Record<string, number>>;
    }
  | { readonly active: false; readonly reason: string };

/**
 * The latest successful meta run of `profile` other than `current` (by created_at, then run id). A run
 * whose process died is settled as `quant runs list` settles it: signed when this process has
 * `QUANT_LEDGER_KEY`; without it a signed one is only taken as incomplete and left as it is.
 */
async function previousRun(workspace: string, profile: string, current: string): Promise<string | undefined> {
  const key = LedgerKey.forSettling(process.env);
  const runs = await listRuns(workspace, { profile, ...(key === undefined ? {} : { key }) });
  const done = runs.filter((r) => r.status === 'success' && r.kind === 'meta' && r.run_id !== current);
  return done[done.length - 1]?.run_id;
}

function corrupt(file: string, message: string): QuantError {
  return new QuantError('E_RUN_CORRUPT', `${file}: ${message}`, {
    location: { file },
    hint: 'the reference run is incomplete or was edited; set turnover.holdings, or remove the run',
  });
}

/** A previous run's level weights, checked: the right level, every weight finite ≥ 0, summing to 1. */
function checkWeights(doc: unknown, file: string, node: MetaNode, P: string): Record<string, number> {
  if (typeof doc !== 'object' || doc === null) throw corrupt(file, 'not a JSON object');
  const d = doc as Record<string, unknown>;
  if (d['meta_profile'] !== node.profile || d['risk_profile'] !== P)
    throw corrupt(file, `is not the weights of meta profile ${node.profile} (${P})`);
  const weights = d['weights'];
  if (typeof weights !== 'object' || weights === null || Array.isArray(weights))
    throw corrupt(file, 'has no "weights" object');
  const out: Record<string, number> = {};
  let sum = 0;
  for (const [id, w] of Object.entries(weights as Record<string, unknown>)) {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0)
      throw corrupt(file, `weight of ${id} is ${JSON.stringify(w)}, not a number ≥ 0`);
    out[id] = w;
    sum += w;
  }
  if (Math.abs(sum - 1) > 1e-6) throw corrupt(file, `the weights sum to ${sum}, not 1`);
  return out;
}

async function fromPreviousRun(env: MetaEnv, node: MetaNode): Promise<LevelReference> {
  const { ctx, riskProfile: P } = env;
  const root = env.resolved.root.profile;
  const runId = await previousRun(ctx.workspace, root, ctx.runId);
  if (runId === undefined)
    return { active: false, reason: `first run: no earlier successful run of meta profile ${root}` };
  const failure = auditFailure(await auditRun(ctx.workspace, runId));
  if (failure !== undefined) {
    throw new QuantError(failure.code, `turnover reference run ${runId}: ${failure.message}`, {
      ...(failure.location === undefined ? {} : { location: failure.location }),
      hint: 'the run was changed after it finished (quant audit verify); set turnover.holdings, or remove the run',
      details: { reference_run_id: runId },
    });
  }
  const rel = metaArtifactPaths(node.profile, P).optimized;
  const file = join(runDir(ctx.workspace, runId), rel);
  await assertConfined(file, 'read');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // The audit passed, so the run never wrote it (another selection of risk profiles).
    return { active: false, reason: `run ${runId} has no weights of meta profile ${node.profile} (${P})` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw corrupt(`runs/${runId}/${rel}`, 'not valid JSON');
  }
  ctx.recordInput(file);
  return {
    active: true,
    source: 'previous_run',
    from: runId,
    weights: checkWeights(doc, `runs/${runId}/${rel}`, node, P),
  };
}

/** The line of a JSON path in the manifest, when the caller has the manifest's text. */
type LineOf = (path: (string | number)[]) => { line: number };

/** The holdings file's absolute path (inside the workspace) and its JSON path (and line) in the manifest. */
async function holdingsPath(
  workspace: string,
  manifestFile: string,
  node: MetaNode,
  file: string,
  lineOf?: LineOf,
): Promise<{ path: string; jsonPath: string; line: number | undefined }> {
  const at = ['profiles', node.profile, 'turnover', 'holdings'];
  const jsonPath = formatJsonPath(at);
  const line = lineOf?.(at).line;
  const absolute = resolve(dirname(resolve(workspace, manifestFile)), file);
  try {
    return { path: await resolveInside(workspace, relative(workspace, absolute)), jsonPath, line };
  } catch (error) {
    if (!isQuantError(error)) throw error;
    throw new QuantError(error.code, `turnover.holdings of meta profile ${node.profile}: ${error.message}`, {
      location: { file: manifestFile, jsonPath, ...(line === undefined ? {} : { line }) },
      hint: 'name a file inside the workspace, relative to the manifest',
    });
  }
}

/**
 * Parse a holdings CSV: a header `sleeve,weight`, then one line per sleeve of the level with a weight
 * ≥ 0 (the weights need not sum to 1: cash or other holdings are turnover to the level too). Unknown or
 * repeated sleeves and bad numbers are coded errors naming the file and the line.
 */
function parseHoldings(text: string, file: string, ids: readonly string[]): Record<string, number> {
  const bad = (code: 'E_INPUT_FORMAT' | 'E_INPUT_VALUE' | 'E_INPUT_COLUMN', line: number, message: string) =>
    new QuantError(code, `${file}:${line}: ${message}`, {
      location: { file, line },
      hint: 'write a header "sleeve,weight", then one "<sleeve id>,<weight ≥ 0>" line per sleeve of the level',
    });
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  if (header.length !== 2 || header[0] !== 'sleeve' || header[1] !== 'weight')
    throw bad('E_INPUT_COLUMN', 1, `the header is "${lines[0] ?? ''}", expected "sleeve,weight"`);
  const out: Record<string, number> = {};
  lines.slice(1).forEach((raw, k) => {
    const line = k + 2;
    if (raw.trim() === '') return;
    const cells = raw.split(',').map((c) => c.trim());
    if (cells.length !== 2) throw bad('E_INPUT_FORMAT', line, `${cells.length} fields, expected 2`);
    const [id, value] = cells as [string, string];
    if (!ids.includes(id))
      throw bad(
        'E_INPUT_VALUE',
        line,
        `"${id}" is not a sleeve of the level (${ids.join(', ')})${didYouMean(id, ids)}`,
      );
    if (Object.hasOwn(out, id)) throw bad('E_INPUT_VALUE', line, `sleeve "${id}" is listed twice`);
    const w = value === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(w) || w < 0 || w > 1)
      throw bad('E_INPUT_VALUE', line, `weight "${value}" of ${id} is not a number in [0, 1]`);
    out[id] = w;
  });
  return out;
}

/**
 * Read and check one level's holdings file, as a run and `quant manifest check` do: outside the
 * workspace is `E_PATH_ESCAPE` and a missing file `E_INPUT_NOT_FOUND` at the manifest's JSON path; a bad
 * line keeps its place in the holdings file and says the JSON path (and manifest line) that names it.
 */
async function readLevelHoldings(
  workspace: string,
  manifestFile: string,
  node: MetaNode,
  file: string,
  lineOf?: LineOf,
): Promise<{ path: string; shown: string; weights: Record<string, number> }> {
  const { path, jsonPath, line } = await holdingsPath(workspace, manifestFile, node, file, lineOf);
  await assertConfined(path, 'read');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new QuantError('E_INPUT_NOT_FOUND', `turnover holdings file ${file} does not exist`, {
      location: { file: manifestFile, jsonPath, ...(line === undefined ? {} : { line }) },
      hint: 'create it (sleeve,weight per line), or remove turnover.holdings to use the previous run',
    });
  }
  const shown = relative(workspace, path);
  const ids = node.sleeves.map((s) => s.id);
  try {
    return { path, shown, weights: parseHoldings(text, shown, ids) };
  } catch (error) {
    if (!isQuantError(error)) throw error;
    const where = line === undefined ? jsonPath : `${jsonPath} (line ${line})`;
    throw new QuantError(error.code, `${where}: ${error.message}`, {
      ...(error.location === undefined ? {} : { location: error.location }),
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      details: error.details,
      cause: error,
    });
  }
}

async function fromHoldings(env: MetaEnv, node: MetaNode, file: string): Promise<LevelReference> {
  const { ctx } = env;
  const read = await readLevelHoldings(ctx.workspace, env.resolved.doc.manifest_file, node, file);
  ctx.recordInput(read.path);
  return { active: true, source: 'holdings', from: read.shown, weights: read.weights };
}

/**
 * Read and check the holdings file of one meta level's `turnover` (`quant manifest check`, and a meta
 * run before its folder exists); nothing without `turnover.holdings`.
 */
export async function checkTurnoverHoldings(
  workspace: string,
  manifestFile: string,
  node: MetaNode,
  lineOf?: LineOf,
): Promise<void> {
  const file = node.turnover?.holdings;
  if (file !== undefined) await readLevelHoldings(workspace, manifestFile, node, file, lineOf);
}

/** The level's reference (see the module comment); undefined when the level has no `turnover`. */
export async function levelReference(env: MetaEnv, node: MetaNode): Promise<LevelReference | undefined> {
  const spec = node.turnover;
  if (spec === undefined) return undefined;
  return spec.holdings === undefined ? fromPreviousRun(env, node) : fromHoldings(env, node, spec.holdings);
}

/**
 * What the turnover references of a tree depend on, for the meta cache key: each holdings file's hash
 * (each file read and checked first, before the run folder exists: a bad file writes nothing; `lineOf`
 * gives its errors the manifest line) and, when a level uses the previous run, that run's ledger (whose
 * chain covers its weights files).
 */
export async function turnoverInputs(
  workspace: string,
  doc: ResolvedManifestDoc,
  currentRun?: string,
  lineOf?: LineOf,
): Promise<InputFileRecord[]> {
  const root = resolveMetaTree({ profiles: doc.profiles } as unknown as Manifest, doc.root);
  const out: InputFileRecord[] = [];
  let previous = false;
  for (const node of walkMetaTree(root)) {
    if (node.turnover === undefined) continue;
    if (node.turnover.holdings === undefined) {
      previous = true;
      continue;
    }
    const { path } = await readLevelHoldings(
      workspace,
      doc.manifest_file,
      node,
      node.turnover.holdings,
      lineOf,
    );
    out.push({ file: relative(workspace, path), sha256: await sha256File(path) });
  }
  if (previous) {
    const runId = await previousRun(workspace, root.profile, currentRun ?? '');
    if (runId !== undefined) {
      const ledger = join(runDir(workspace, runId), 'audit.jsonl');
      out.push({
        file: relative(workspace, ledger),
        sha256: await sha256File(ledger).catch(() => 'missing'),
      });
    }
  }
  return out;
}
