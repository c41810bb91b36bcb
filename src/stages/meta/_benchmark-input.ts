/**
 * The benchmark and risk-free inputs a meta profile names (`benchmarks`, `risk_free`): files relative
 * to the manifest's folder that must stay inside the workspace, read like every other input table (CSV
 * or Parquet, size limit, UTF-8, strictly increasing dates) and checked cell by cell. Every problem is
 * a coded error naming the manifest entry's JSON path.
 */
import { dirname, relative, resolve } from 'node:path';
import { QuantError, isQuantError, type ErrorCode } from '../../errors.js';
import { readTable, resolveInside, sha256File, type ReadTableResult } from '../../artifacts/index.js';
import { resolveMetaTree, type Manifest } from '../../manifest/index.js';
import type { BenchmarkSpec, RiskFreeSpec } from '../../manifest/schema.js';
import { inputKindFinding } from '../../numeric/series/input-kind.js';
import { closestMatches } from '../../util/suggest.js';
import type { ResolvedManifestDoc } from './_artifact-types.js';

/** One input file as read: where it is and its content hash (recorded in the artifacts and the cache key). */
export interface InputFileRecord {
  /** Relative to the workspace. */
  readonly file: string;
  readonly sha256: string;
}

/** A benchmark's simple returns by date. */
export interface BenchmarkSeries {
  readonly id: string;
  readonly spec: BenchmarkSpec;
  readonly source: InputFileRecord;
  readonly dates: readonly string[];
  readonly returns: Float64Array;
  /** Rows of the table dropped for a missing value in the column. */
  readonly droppedRows: number;
}

/** A series of annual risk-free rates by date. */
export interface RiskFreeSeries {
  readonly source: InputFileRecord;
  readonly column: string;
  readonly dates: readonly string[];
  readonly annualRates: Float64Array;
}

interface Where {
  readonly workspace: string;
  readonly manifestFile: string;
  /** `profiles.M.benchmarks[0]` */
  readonly jsonPath: string;
  /** `benchmark "spi"` */
  readonly what: string;
}

function located(error: unknown, where: Where, key: string): unknown {
  if (!isQuantError(error)) return error;
  return relocate(error.code, `${where.what}: ${error.message}`, where, key, error.hint, error);
}

function relocate(
  code: ErrorCode,
  message: string,
  where: Where,
  key: string,
  hint: string | undefined,
  cause?: unknown,
): QuantError {
  return new QuantError(code, message, {
    location: { file: where.manifestFile, jsonPath: `${where.jsonPath}.${key}` },
    ...(hint === undefined ? {} : { hint }),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Resolve `file` against the manifest's folder; outside the workspace is `E_PATH_ESCAPE`. */
async function inputPath(where: Where, file: string): Promise<string> {
  const absolute = resolve(dirname(where.manifestFile), file);
  try {
    return await resolveInside(where.workspace, relative(where.workspace, absolute));
  } catch (error) {
    throw located(error, where, 'file');
  }
}

/** Read the table and pick `column` (did-you-mean on a miss); rows with a missing value are dropped. */
async function readColumn(
  where: Where,
  file: string,
  column: string,
): Promise<{
  table: ReadTableResult;
  dates: string[];
  values: Float64Array;
  /** Per kept row: the row before it in the file was missing. */
  afterGap: boolean[];
  dropped: number;
  path: string;
}> {
  const path = await inputPath(where, file);
  const table = await readTable(path).catch((error: unknown) => {
    throw located(error, where, 'file');
  });
  const j = table.columns.indexOf(column);
  if (j < 0) {
    const close = closestMatches(column, table.columns);
    throw relocate(
      'E_INPUT_COLUMN',
      `${where.what}: column "${column}" is not in ${file}${close.length > 0 ? ` (did you mean "${close[0]}"?)` : ''}`,
      where,
      'column',
      `the columns are ${table.columns.join(', ')}`,
    );
  }
  const raw = table.values[j] as Float64Array;
  const dates: string[] = [];
  const values: number[] = [];
  const afterGap: boolean[] = [];
  raw.forEach((v, t) => {
    if (Number.isNaN(v)) return;
    dates.push(table.dates[t] as string);
    values.push(v);
    afterGap.push(t > 0 && Number.isNaN(raw[t - 1] as number));
  });
  return {
    table,
    dates,
    values: Float64Array.from(values),
    afterGap,
    dropped: raw.length - values.length,
    path,
  };
}

function cellError(
  where: Where,
  key: string,
  date: string,
  value: number,
  problem: string,
  hint: string,
): QuantError {
  return relocate(
    'E_INPUT_VALUE',
    `${where.what}: the value ${value} on ${date} ${problem}`,
    where,
    key,
    hint,
  );
}

/**
 * Simple returns of a price, return or log-return column (one row fewer for prices). A price that
 * follows a missing one gives no return: p(t)/p(t − k) − 1 would span the gap and be paired with the
 * portfolio's one-period return of that date.
 */
function toSimpleReturns(
  where: Where,
  spec: BenchmarkSpec,
  dates: readonly string[],
  values: Float64Array,
  afterGap: readonly boolean[],
): { dates: string[]; returns: Float64Array } {
  const finding = inputKindFinding([values], spec.input_kind);
  if (finding !== undefined) {
    throw relocate(
      'E_INPUT_KIND',
      `${where.what}: column "${spec.column}" is declared ${spec.input_kind} but looks like ${finding.looksLike}: ${finding.evidence}`,
      where,
      'input_kind',
      `set "input_kind" to the kind of the column (prices, returns, log_returns)`,
    );
  }
  values.forEach((v, t) => {
    if (!Number.isFinite(v))
      throw cellError(where, 'column', dates[t] as string, v, 'is not finite', 'fix or remove the cell');
    if (spec.input_kind === 'prices' && !(v > 0))
      throw cellError(
        where,
        'column',
        dates[t] as string,
        v,
        'is not a positive price',
        'fix or remove the cell',
      );
    if (spec.input_kind === 'returns' && !(v > -1))
      throw cellError(
        where,
        'column',
        dates[t] as string,
        v,
        'is a return of −100 % or less',
        'fix the cell',
      );
  });
  if (spec.input_kind === 'prices') {
    const kept: string[] = [];
    const returns: number[] = [];
    for (let t = 1; t < values.length; t++) {
      if (afterGap[t] === true) continue;
      kept.push(dates[t] as string);
      returns.push((values[t] as number) / (values[t - 1] as number) - 1);
    }
    return { dates: kept, returns: Float64Array.from(returns) };
  }
  const returns = spec.input_kind === 'log_returns' ? values.map((l) => Math.expm1(l)) : values.slice();
  return { dates: [...dates], returns };
}

async function record(workspace: string, path: string): Promise<InputFileRecord> {
  return { file: relative(workspace, path).split('\\').join('/'), sha256: await sha256File(path) };
}

/** Read benchmark `index` of meta profile `metaProfile` as simple returns by date. */
export async function loadBenchmark(
  workspace: string,
  manifestFile: string,
  metaProfile: string,
  index: number,
  spec: BenchmarkSpec,
): Promise<BenchmarkSeries> {
  const where: Where = {
    workspace,
    manifestFile,
    jsonPath: `profiles.${metaProfile}.benchmarks[${index}]`,
    what: `benchmark "${spec.id}"`,
  };
  const read = await readColumn(where, spec.file, spec.column);
  const { dates, returns } = toSimpleReturns(where, spec, read.dates, read.values, read.afterGap);
  if (returns.length < 2) {
    throw relocate(
      'E_TOO_FEW_OBSERVATIONS',
      `${where.what}: column "${spec.column}" of ${spec.file} gives ${returns.length} return(s); at least 2 are needed`,
      where,
      'file',
      'provide a longer history',
    );
  }
  return {
    id: spec.id,
    spec,
    source: await record(workspace, read.path),
    dates,
    returns,
    droppedRows: read.dropped,
  };
}

/** Read a `risk_free` file of annual rates (fractions: 0.02 = 2 %); `undefined` for a constant rate. */
export async function loadRiskFree(
  workspace: string,
  manifestFile: string,
  metaProfile: string,
  spec: RiskFreeSpec,
): Promise<RiskFreeSeries | undefined> {
  if (spec.file === undefined || spec.column === undefined) return undefined;
  const where: Where = {
    workspace,
    manifestFile,
    jsonPath: `profiles.${metaProfile}.risk_free`,
    what: 'risk-free rate',
  };
  const read = await readColumn(where, spec.file, spec.column);
  read.values.forEach((v, t) => {
    const date = read.dates[t] as string;
    if (!Number.isFinite(v))
      throw cellError(where, 'column', date, v, 'is not finite', 'fix or remove the cell');
    if (Math.abs(v) > 1)
      throw cellError(
        where,
        'column',
        date,
        v,
        'is not an annual rate as a fraction (|rate| ≤ 1)',
        'write rates as fractions (0.02 for 2 %): divide a percent column by 100',
      );
  });
  if (read.values.length === 0) {
    throw relocate(
      'E_TOO_FEW_OBSERVATIONS',
      `${where.what}: column "${spec.column}" of ${spec.file} has no value`,
      where,
      'column',
      'provide the rates',
    );
  }
  return {
    source: await record(workspace, read.path),
    column: spec.column,
    dates: read.dates,
    annualRates: read.values,
  };
}

/**
 * Read every benchmark and risk-free file the root meta profile of a resolution names, before the run
 * folder exists, so that a bad input writes nothing. Returns the files and their hashes (for the cache key).
 */
export async function checkBenchmarkInputs(
  workspace: string,
  doc: ResolvedManifestDoc,
): Promise<InputFileRecord[]> {
  const root = resolveMetaTree({ profiles: doc.profiles } as unknown as Manifest, doc.root);
  const manifestFile = resolve(workspace, doc.manifest_file);
  const out: InputFileRecord[] = [];
  for (const [i, spec] of root.benchmarks.entries())
    out.push((await loadBenchmark(workspace, manifestFile, root.profile, i, spec)).source);
  if (root.riskFree !== undefined) {
    const rf = await loadRiskFree(workspace, manifestFile, root.profile, root.riskFree);
    if (rf !== undefined) out.push(rf.source);
  }
  return out;
}

/**
 * Read the benchmark and risk-free files one meta profile names, as a run of it would read them
 * (`quant manifest check`): a column not in its file is `E_INPUT_COLUMN` at the entry's JSON path, with
 * a did-you-mean. `metaProfile` is the profile whose own `benchmarks` and `risk_free` are read.
 */
export async function checkProfileBenchmarkFiles(
  workspace: string,
  manifestFile: string,
  metaProfile: string,
  benchmarks: readonly BenchmarkSpec[],
  riskFree: RiskFreeSpec | undefined,
): Promise<void> {
  for (const [i, spec] of benchmarks.entries())
    await loadBenchmark(workspace, manifestFile, metaProfile, i, spec);
  if (riskFree !== undefined) await loadRiskFree(workspace, manifestFile, metaProfile, riskFree);
}
