import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QuantError, isQuantError } from '../../errors.js';
import {
  assertConfined,
  describeInterruption,
  readLedgerLoose,
  readRunJson,
  readTable,
  runDir,
  type LedgerKey,
} from '../../artifacts/index.js';
import { checkLedger } from './_validate-ledger.js';
import { readResolvedManifest, resolvedTree } from './_resolved-manifest.js';
import { walkMetaTree, type MetaNode } from '../../manifest/index.js';
import { MIN_COMMON_DATES } from './_level.js';
import { NET_EPSILON } from './_flatten-level.js';
import { LIMIT_TOLERANCE, limitViolations } from './_level-limits.js';
import { exposureViolations } from './_exposure-limits.js';
import { turnoverViolations } from './_turnover-level.js';
import {
  REPORT_MD,
  RESOLVED_MANIFEST,
  SIGN_TEST_FILE,
  metaArtifactPaths,
  type FlattenedMetaDoc,
  type MetaManifestDoc,
  type MetaOptimizedDoc,
  type ResolvedManifestDoc,
} from './_artifact-types.js';

/** One check of `quant meta validate`. */
export interface ValidationCheck {
  readonly id: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ValidationVerdict {
  readonly schema_version: 1;
  readonly run_id: string;
  readonly ok: boolean;
  readonly passed: number;
  readonly failed: number;
  readonly checks: readonly ValidationCheck[];
}

const TOL = 1e-9;
const REASONS = new Set(['missing_stream', 'health', 'branch_failed', 'no_run']);

async function readJson<T>(file: string): Promise<T> {
  await assertConfined(file, 'read');
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

/** A check's own verdict ("weights sum to 0.9"), as opposed to a file it could not make sense of. */
class CheckFailure extends Error {}

/**
 * One line for a failed check. A file whose JSON does not have the artifact's shape (a trade list where
 * weights belong) makes the reader throw a TypeError; that is a corrupt run, named by its file.
 */
function failureDetail(id: string, error: unknown): string {
  if (isQuantError(error)) return `${error.code}: ${error.message}`;
  if (error instanceof CheckFailure) return error.message;
  return `E_RUN_CORRUPT: ${id} does not have the shape of this artifact (a member it must have is missing or of the wrong type); restore it or run the meta profile again`;
}

/**
 * Check a finished meta run against the artifact contract (DESIGN §5) and the invariants of DESIGN §6:
 * every artifact of every meta level and risk profile present and readable, weights within bounds and
 * summing to 1, flattened assets consistent (gross = |net|, signs, sorting, totals, contributors), the
 * sign-test verdict when gated, the report, and the ledger: its chain, its anchor in run.json, the anchor's
 * HMAC when `options.key` is given, and every output it records. Never throws for a failed check.
 */
export async function validateMetaRun(
  workspace: string,
  runId: string,
  options: { readonly key?: LedgerKey | undefined } = {},
): Promise<ValidationVerdict> {
  const dir = runDir(workspace, runId);
  if (!existsSync(dir)) {
    throw new QuantError('E_RUN_NOT_FOUND', `run ${runId} does not exist in ${workspace}`, {
      hint: 'see `quant runs list`',
    });
  }
  await assertMetaRun(workspace, runId);
  const checks: ValidationCheck[] = [];
  const check = async (id: string, fn: () => Promise<string> | string): Promise<boolean> => {
    try {
      checks.push({ id, ok: true, detail: await fn() });
      return true;
    } catch (error) {
      checks.push({ id, ok: false, detail: failureDetail(id, error) });
      return false;
    }
  };
  const fail = (message: string): never => {
    throw new CheckFailure(message);
  };

  await check('run.json', async () => {
    const run = await readRunJson(workspace, runId);
    if (run.kind !== 'meta') fail(`kind is ${run.kind}, expected meta`);
    if (run.status === 'incomplete')
      fail(`status is incomplete (${describeInterruption(run)}), expected success`);
    if (run.status !== 'success') fail(`status is ${run.status}, expected success`);
    return `meta run, status success, profile ${run.profile ?? '-'}`;
  });
  await checkLedger(workspace, runId, options.key, check, fail);

  let resolved: ResolvedManifestDoc | undefined;
  let root: MetaNode | undefined;
  await check(RESOLVED_MANIFEST, async () => {
    const file = join(dir, RESOLVED_MANIFEST);
    if (!existsSync(file)) fail('missing');
    resolved = await readResolvedManifest(dir, runId);
    root = resolvedTree(resolved, runId);
    if (resolved.risk_profiles.length === 0) fail('no risk profile');
    return `root ${resolved.root}, ${resolved.sleeves.length} sleeve run(s), risk profiles ${resolved.risk_profiles.join(', ')}`;
  });

  if (resolved !== undefined && root !== undefined) {
    const fallbacks = await recordedFallbacks(join(dir, 'audit.jsonl'));
    for (const node of walkMetaTree(root)) {
      for (const P of resolved.risk_profiles) {
        await validateLevel(dir, node, P, check, fail, fallbacks);
      }
    }
    if (root.features.directionalSignTestGate) {
      await check(SIGN_TEST_FILE, async () => {
        const file = join(dir, SIGN_TEST_FILE);
        if (!existsSync(file)) fail('missing although features.directional_sign_test_gate is on');
        const doc = await readJson<{ errors: number; warnings: number }>(file);
        if (doc.errors !== 0) fail(`${doc.errors} error(s)`);
        return `0 errors, ${doc.warnings} warning(s)`;
      });
    }
    await check(REPORT_MD, async () => {
      const file = join(dir, REPORT_MD);
      if (!existsSync(file)) fail('missing');
      await assertConfined(file, 'read');
      const text = await readFile(file, 'utf8');
      const absent = (resolved as ResolvedManifestDoc).risk_profiles.filter((p) => !text.includes(p));
      if (absent.length > 0) fail(`does not mention ${absent.join(', ')}`);
      return `${text.split('\n').length} lines, every risk profile present`;
    });
  }
  const failed = checks.filter((c) => !c.ok).length;
  return {
    schema_version: 1,
    run_id: runId,
    ok: failed === 0,
    passed: checks.length - failed,
    failed,
    checks,
  };
}

/**
 * A run of another kind is refused at once (`E_RUN_ID`): its checks would only fail on artifacts it never
 * had. An unreadable run.json is left to the `run.json` check.
 */
async function assertMetaRun(workspace: string, runId: string): Promise<void> {
  const run = await readRunJson(workspace, runId).catch(() => undefined);
  if (run === undefined || run.kind === 'meta') return;
  const profile = run.profile === null ? '' : ` of profile ${run.profile}`;
  throw new QuantError('E_RUN_ID', `run ${runId} is a ${run.kind} run${profile}, not a meta run`, {
    location: { file: `runs/${runId}/run.json` },
    hint: 'quant meta validate checks meta runs: name one (quant runs list shows the kind of each run)',
    details: { run_kind: run.kind, run_profile: run.profile },
  });
}

type Check = (id: string, fn: () => Promise<string> | string) => Promise<boolean>;

/** `risk profile/sleeve path` of every `meta.flatten_fallback` decision in the run's ledger. */
async function recordedFallbacks(ledger: string): Promise<Set<string>> {
  const out = new Set<string>();
  if (!existsSync(ledger)) return out;
  const records = await readLedgerLoose(ledger).catch(() => []);
  for (const r of records) {
    const data = r['data'] as Record<string, unknown> | undefined;
    if (r['type'] === 'decision' && r['step'] === 'meta.flatten_fallback' && data !== undefined)
      out.add(`${String(data['risk_profile'])}/${String(data['sleeve'])}`);
  }
  return out;
}

type Fail = (m: string) => never;

/** The level's optimized weights: sum 1, non-negative, within bounds, over exactly the included sleeves. */
async function checkOptimizedWeights(
  file: string,
  node: MetaNode,
  manifest: MetaManifestDoc | undefined,
  fail: Fail,
): Promise<string> {
  if (!existsSync(file)) fail('missing');
  const optimized = await readJson<MetaOptimizedDoc>(file);
  const ws = Object.values(optimized.weights);
  const sum = ws.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > TOL) fail(`weights sum to ${sum}`);
  const { min_weight: lo, max_weight: hi } = optimized.bounds;
  const branchFallback = optimized.parameters['branch_fallback'] === true;
  for (const [id, w] of Object.entries(optimized.weights)) {
    if (!(w >= -TOL)) fail(`weight of ${id} is ${w} < 0`);
  }
  // The limits come from the resolved manifest, not from the doc's own `limits` rows.
  const broken = branchFallback
    ? []
    : [
        ...limitViolations(node, optimized.weights),
        ...turnoverViolations(node, optimized.weights, optimized.turnover, LIMIT_TOLERANCE),
      ];
  if (broken.length > 0) fail(`${broken.join('; ')} (tolerance ${LIMIT_TOLERANCE})`);
  const limits =
    (node.sleeveBounds === undefined ? 0 : Object.keys(node.sleeveBounds).length) +
    Object.keys(node.groupLimits ?? {}).length;
  if (manifest !== undefined) {
    const ids = manifest.included.map((s) => s.id).sort();
    if (ids.join(',') !== Object.keys(optimized.weights).sort().join(','))
      fail('weights do not cover exactly the included sleeves');
  }
  return `${optimized.method}${optimized.method === optimized.requested_method ? '' : ` (fallback from ${optimized.requested_method})`}, sum 1, within [${lo}, ${hi}]${limits === 0 || branchFallback ? '' : ` and ${limits} sleeve/group limit(s)`}${optimized.turnover?.active === true ? `, turnover ${optimized.turnover.achieved} from its reference` : ''}`;
}

type FlattenedFile = Omit<FlattenedMetaDoc, 'weights_fallbacks'> & {
  weights_fallbacks?: FlattenedMetaDoc['weights_fallbacks'];
  missing?: { path: string; reason: string }[];
};

/** Each flattened asset: gross = |net|, sign matches direction, sorted, contributors sum to net. */
function checkFlattenedAssets(doc: FlattenedFile, fail: Fail): void {
  let long = 0;
  let short = 0;
  let previous = Infinity;
  for (const a of doc.assets) {
    if (Math.abs(a.Weight - Math.abs(a.Net_Weight)) > 1e-15)
      fail(`${a.Symbol}: Weight ${a.Weight} ≠ |Net_Weight|`);
    if (a.Net_Weight < 0 !== (a.Direction === 'SHORT'))
      fail(`${a.Symbol}: Direction ${a.Direction} but Net_Weight ${a.Net_Weight}`);
    if (Math.abs(a.Net_Weight) < NET_EPSILON) fail(`${a.Symbol}: |net| below ${NET_EPSILON} kept`);
    if (a.Weight > previous) fail(`${a.Symbol}: not sorted by gross weight`);
    previous = a.Weight;
    const contributed = Object.values(a.Contributors).reduce((x, y) => x + y, 0);
    if (Math.abs(contributed - a.Net_Weight) > 1e-12 * Math.max(1, Math.abs(a.Net_Weight)))
      fail(`${a.Symbol}: contributors sum to ${contributed}, net ${a.Net_Weight}`);
    if (a.Net_Weight > 0) long += a.Net_Weight;
    else short += a.Net_Weight;
  }
  if (Math.abs(doc.totals.long - long) > TOL || Math.abs(doc.totals.short - short) > TOL)
    fail('totals do not match the assets');
  if (Math.abs(doc.totals.gross - (long - short)) > TOL || Math.abs(doc.totals.net - (long + short)) > TOL)
    fail('gross/net totals inconsistent');
}

/** The level's flattened portfolio: every weighted sleeve contributed, fallbacks recorded, assets sound. */
async function checkFlattened(
  file: string,
  node: MetaNode,
  P: string,
  fallbacks: ReadonlySet<string>,
  fail: Fail,
): Promise<string> {
  if (!existsSync(file)) fail('missing');
  const doc = await readJson<FlattenedFile>(file);
  const weightsFallbacks = doc.weights_fallbacks ?? [];
  // Runs made before every weighted sleeve had to contribute listed the ones that did not.
  const missing = doc.missing ?? [];
  if (missing.length > 0)
    fail(`${missing.map((m) => `${m.path} (${m.reason})`).join(', ')} contributed no physical weights`);
  for (const f of weightsFallbacks) {
    if (!fallbacks.has(`${P}/${f.path}`))
      fail(
        `sleeve ${f.path} was flattened from ${f.to} without a meta.flatten_fallback decision in the ledger`,
      );
  }
  if (doc.assets.length === 0)
    fail('no physical asset: the weighted sleeves hold nothing or net out exactly');
  const broken = exposureViolations(node, doc.assets);
  if (broken.length > 0) fail(`${broken.join('; ')} (exposure_limits, tolerance ${LIMIT_TOLERANCE})`);
  checkFlattenedAssets(doc, fail);
  const recorded = weightsFallbacks.length;
  const capped = node.exposureLimits === undefined ? '' : ', within its exposure_limits';
  return `${doc.assets.length} assets${capped}, gross ${doc.totals.gross.toFixed(6)}, net ${doc.totals.net.toFixed(6)}${recorded > 0 ? `, ${recorded} sleeve(s) flattened from their atoms file (recorded)` : ''}`;
}

async function validateLevel(
  dir: string,
  node: MetaNode,
  P: string,
  check: Check,
  fail: Fail,
  fallbacks: ReadonlySet<string>,
): Promise<void> {
  const files = metaArtifactPaths(node.profile, P);
  let manifest: MetaManifestDoc | undefined;
  await check(files.manifest, async () => {
    const file = join(dir, files.manifest);
    if (!existsSync(file)) fail('missing');
    manifest = await readJson<MetaManifestDoc>(file);
    if (manifest.schema_version !== 1) fail(`schema_version ${String(manifest.schema_version)}`);
    for (const e of manifest.excluded)
      if (!REASONS.has(e.reason)) fail(`sleeve ${e.id} excluded with unknown reason ${e.reason}`);
    return `${manifest.included.length} included, ${manifest.excluded.length} excluded`;
  });
  await check(files.returns, async () => {
    const file = join(dir, files.returns);
    if (!existsSync(file)) fail('missing');
    const table = await readTable(file, { allowMissing: false });
    if (table.columns.length < 2) fail(`${table.columns.length} column(s)`);
    if (table.dates.length < MIN_COMMON_DATES) fail(`${table.dates.length} rows < ${MIN_COMMON_DATES}`);
    if (manifest !== undefined) {
      const ids = manifest.included.map((s) => s.id);
      if (ids.join(',') !== table.columns.join(','))
        fail(`columns ${table.columns.join(',')} differ from included sleeves ${ids.join(',')}`);
    }
    for (const col of table.values) for (const v of col) if (!Number.isFinite(v)) fail('non-finite return');
    return `${table.dates.length} rows x ${table.columns.length} sleeves, no missing value`;
  });
  await check(files.optimized, () => checkOptimizedWeights(join(dir, files.optimized), node, manifest, fail));
  await check(files.clusterTree, async () => {
    if (!existsSync(join(dir, files.clusterTree))) fail('missing');
    return 'present';
  });
  await check(files.flattened, () => checkFlattened(join(dir, files.flattened), node, P, fallbacks, fail));
}
