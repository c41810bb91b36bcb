import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineStage, type StageContext } from '../../core/stage.js';
import { QuantError } from '../../errors.js';
import {
  physicalSymbol,
  readAtomWeights,
  readPhysicalWeights,
  readTable,
  writeJsonAtomic,
  type AtomWeight,
  type NumericTable,
} from '../../artifacts/index.js';
import { metaStageParams } from './_params.js';
import { loadResolvedMeta } from './_resolve.js';
import { SIGN_TEST_FILE, type SignTestDoc, type SignTestFinding } from './_artifact-types.js';

/** Finding codes: the first three are errors, the rest warnings. */
export const SIGN_TEST_CODES = [
  'SIGNTEST_SHORT_NOT_INVERTED',
  'SIGNTEST_LONG_INVERTED',
  'SIGNTEST_SIGN_MISMATCH',
  'SIGNTEST_LONG_MISMATCH',
  'SIGNTEST_INPUT_MISSING',
  'SIGNTEST_PHYSICAL_MISSING',
] as const;
export type SignTestCode = (typeof SIGN_TEST_CODES)[number];

/** Absolute tolerance of the return comparisons (values are recomputed, so only rounding may differ). */
const SIGN_TEST_TOLERANCE = 1e-12;
const NET_EPSILON = 1e-9;
const RAW_FILE = 'data/returns_matrix.parquet';
const SYNTHETIC_FILE = 'data/synthetic_returns.parquet';

/** A SHORT atom enters the optimiser as a synthetic long: r_syn = −min(r_raw, 1) (a loss is capped at −100 %). */
const inverted = (r: number): number => -Math.min(r, 1);
const same = (r: number): number => r;

interface Comparison {
  readonly checked: number;
  readonly firstBad?: { readonly date: string; readonly raw: number; readonly synthetic: number };
}

/** Compare a synthetic column with f(raw) on the dates both tables have, skipping missing values. */
function compare(
  raw: NumericTable,
  rawCol: number,
  syn: NumericTable,
  synCol: number,
  f: (r: number) => number,
): Comparison {
  const r = raw.values[rawCol] as Float64Array;
  const s = syn.values[synCol] as Float64Array;
  let checked = 0;
  for (let i = 0, j = 0; i < raw.dates.length && j < syn.dates.length;) {
    const a = raw.dates[i] as string;
    const b = syn.dates[j] as string;
    if (a < b) i++;
    else if (b < a) j++;
    else {
      const rv = r[i] as number;
      const sv = s[j] as number;
      if (!Number.isNaN(rv) && !Number.isNaN(sv)) {
        checked++;
        if (!(Math.abs(sv - f(rv)) <= SIGN_TEST_TOLERANCE))
          return { checked, firstBad: { date: a, raw: rv, synthetic: sv } };
      }
      i++;
      j++;
    }
  }
  return { checked };
}

async function readOptionalTable(path: string, ctx: StageContext): Promise<NumericTable | null> {
  if (!existsSync(path)) return null;
  const table = await readTable(path);
  ctx.recordInput(path);
  return table;
}

/** The atoms of the given risk profiles, first occurrence wins, sorted by id (code-unit order). */
function atomsOf(
  profiles: Map<string, AtomWeight[]>,
  riskProfiles: readonly string[],
): [string, AtomWeight][] {
  const atoms = new Map<string, AtomWeight>();
  for (const P of riskProfiles)
    for (const a of profiles.get(P) ?? []) if (!atoms.has(a.Symbol)) atoms.set(a.Symbol, a);
  return [...atoms.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

type AddFinding = (
  level: SignTestFinding['level'],
  code: SignTestCode,
  symbol: string | null,
  message: string,
) => void;
type AtomWeightsFile = NonNullable<Awaited<ReturnType<typeof readAtomWeights>>>;
type PhysicalWeightsFile = NonNullable<Awaited<ReturnType<typeof readPhysicalWeights>>>;

/**
 * The inversion check of one atom: its synthetic returns are −min(raw, 1) for a SHORT atom, the raw
 * returns for a LONG one; a mismatch says which mistake it looks like (not inverted, inverted LONG).
 */
function checkAtomInversion(
  raw: NumericTable,
  syn: NumericTable,
  id: string,
  atom: AtomWeight,
  add: AddFinding,
): void {
  const { symbol } = physicalSymbol(id, atom.Physical, raw.columns);
  const rawCol = raw.columns.indexOf(symbol);
  const synCol = syn.columns.indexOf(id);
  if (rawCol < 0) {
    add(
      'WARNING',
      'SIGNTEST_PHYSICAL_MISSING',
      id,
      `atom ${id}: its physical asset ${symbol} is not a column of ${RAW_FILE}`,
    );
    return;
  }
  if (synCol < 0) {
    add('WARNING', 'SIGNTEST_INPUT_MISSING', id, `atom ${id} is not a column of ${SYNTHETIC_FILE}`);
    return;
  }
  const short = atom.Direction === 'SHORT';
  const result = compare(raw, rawCol, syn, synCol, short ? inverted : same);
  if (result.checked === 0) {
    add(
      'WARNING',
      'SIGNTEST_INPUT_MISSING',
      id,
      `atom ${id}: ${RAW_FILE} and ${SYNTHETIC_FILE} share no date with a value for ${symbol}`,
    );
    return;
  }
  const bad = result.firstBad;
  if (bad === undefined) return;
  const at = `on ${bad.date} (raw ${bad.raw}, synthetic ${bad.synthetic})`;
  if (short) {
    const asRaw = compare(raw, rawCol, syn, synCol, same).firstBad === undefined;
    add(
      'ERROR',
      'SIGNTEST_SHORT_NOT_INVERTED',
      id,
      `SHORT atom ${id} (${symbol}) ${asRaw ? 'was optimised on its raw returns, not inverted' : 'synthetic returns differ from -min(raw, 1)'}, first ${at}`,
    );
  } else if (compare(raw, rawCol, syn, synCol, inverted).firstBad === undefined) {
    add(
      'ERROR',
      'SIGNTEST_LONG_INVERTED',
      id,
      `LONG atom ${id} (${symbol}) was optimised on inverted returns, first ${at}`,
    );
  } else {
    add(
      'WARNING',
      'SIGNTEST_LONG_MISMATCH',
      id,
      `LONG atom ${id} (${symbol}): synthetic returns differ from the raw returns, first ${at}`,
    );
  }
}

/**
 * The sign check of the flattened weights: per risk profile, a physical asset held through a SHORT atom
 * carries a Net_Weight of the sign its atoms net to (negative when all are SHORT), in symbol order.
 */
function checkNetSigns(
  physical: PhysicalWeightsFile,
  atomsFile: AtomWeightsFile,
  riskProfiles: readonly string[],
  rawColumns: readonly string[],
  add: AddFinding,
): void {
  for (const P of riskProfiles) {
    const rows = physical.profiles.get(P);
    const atomRows = atomsFile.profiles.get(P);
    if (rows === undefined || atomRows === undefined) continue;
    const known = [...rows.map((r) => r.Symbol), ...rawColumns];
    const bySymbol = new Map<string, AtomWeight[]>();
    for (const a of atomRows) {
      const { symbol } = physicalSymbol(a.Symbol, a.Physical, known);
      bySymbol.set(symbol, [...(bySymbol.get(symbol) ?? []), a]);
    }
    for (const symbol of [...bySymbol.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const group = bySymbol.get(symbol) as AtomWeight[];
      if (!group.some((a) => a.Direction === 'SHORT' && a.Weight > 0)) continue;
      const row = rows.find((r) => r.Symbol === symbol);
      if (row === undefined || row.Weight === 0) continue; // no weight in this profile: nothing to sign
      const expected = group.reduce((s, a) => s + a.Net_Weight, 0);
      const allShort = group.every((a) => a.Direction === 'SHORT');
      const wrong = allShort
        ? !(row.Net_Weight < 0)
        : Math.abs(expected) > NET_EPSILON && Math.sign(expected) !== Math.sign(row.Net_Weight);
      if (!wrong) continue;
      const ids = group.map((a) => a.Symbol).join(', ');
      add(
        'ERROR',
        'SIGNTEST_SIGN_MISMATCH',
        symbol,
        `${P}: ${symbol} has Net_Weight ${row.Net_Weight} in data/portfolio_flattened.json but its atoms (${ids}) net to ${expected}${allShort ? ' (all SHORT)' : ''}`,
      );
    }
  }
}

/** Every check of one sleeve run, findings in a fixed order: inputs, atoms by id, signs by profile then symbol. */
async function checkSleeveRun(
  ctx: StageContext,
  runId: string,
  runPath: string,
  riskProfiles: readonly string[],
): Promise<SignTestFinding[]> {
  const findings: SignTestFinding[] = [];
  const add: AddFinding = (level, code, symbol, message) => {
    findings.push({ level, code, run_id: runId, symbol, message });
  };
  const atomsFile = await readAtomWeights(runPath);
  if (atomsFile === null) {
    add(
      'WARNING',
      'SIGNTEST_INPUT_MISSING',
      null,
      `run ${runId} has no data/portfolio_optimized_v2.json: the sign test cannot run for this sleeve`,
    );
    return findings;
  }
  ctx.recordInput(atomsFile.file);
  const atoms = atomsOf(atomsFile.profiles, riskProfiles);
  if (atoms.length === 0) {
    add(
      'WARNING',
      'SIGNTEST_INPUT_MISSING',
      null,
      `run ${runId}: data/portfolio_optimized_v2.json has no atoms for ${riskProfiles.join(', ')}`,
    );
    return findings;
  }
  const raw = await readOptionalTable(join(runPath, RAW_FILE), ctx);
  const syn = await readOptionalTable(join(runPath, SYNTHETIC_FILE), ctx);
  for (const [file, table] of [
    [RAW_FILE, raw],
    [SYNTHETIC_FILE, syn],
  ] as const) {
    if (table === null)
      add(
        'WARNING',
        'SIGNTEST_INPUT_MISSING',
        null,
        `run ${runId} has no ${file}: the inversion check cannot run for this sleeve`,
      );
  }
  const physical = await readPhysicalWeights(runPath);
  if (physical === null)
    add(
      'WARNING',
      'SIGNTEST_INPUT_MISSING',
      null,
      `run ${runId} has no data/portfolio_flattened.json: the sign check cannot run for this sleeve`,
    );
  else ctx.recordInput(physical.file);

  if (raw !== null && syn !== null) {
    for (const [id, atom] of atoms) checkAtomInversion(raw, syn, id, atom, add);
  }
  if (physical !== null) checkNetSigns(physical, atomsFile, riskProfiles, raw?.columns ?? [], add);
  return findings;
}

export const metaSignTest = defineStage({
  id: 'meta.sign_test',
  name: 'Directional sign test',
  description:
    "Guardrail before the meta layer: every sleeve's SHORT atoms were optimised as synthetic longs (r_syn = -min(r_raw, 1)), LONG atoms on their raw returns, and net-short assets carry a negative Net_Weight.",
  category: 'meta',
  tags: ['meta', 'guardrail'],
  aliases: [],
  params: metaStageParams,
  output:
    'data/directional_sign_test.json {schema_version, errors, warnings, findings}; fails with E_SIGN_TEST on any ERROR.',
  async run(params, ctx) {
    // The gate runs first in a meta run: it reuses the run's recorded resolution, or resolves and records it.
    const resolved = await loadResolvedMeta(
      ctx,
      params.meta_profile,
      params.risk_profiles,
      params.sleeve_runs,
    );
    const inside = (path: readonly string[]): boolean => resolved.prefix.every((id, i) => path[i] === id);
    const runIds: string[] = [];
    for (const s of resolved.doc.sleeves)
      if (inside(s.path) && !runIds.includes(s.run_id)) runIds.push(s.run_id);

    const findings: SignTestFinding[] = [];
    for (const runId of runIds) {
      ctx.progress(`sleeve run ${runId}`);
      findings.push(
        ...(await checkSleeveRun(ctx, runId, join(ctx.workspace, 'runs', runId), resolved.riskProfiles)),
      );
    }
    const errors = findings.filter((f) => f.level === 'ERROR');
    const doc: SignTestDoc = {
      schema_version: 1,
      errors: errors.length,
      warnings: findings.length - errors.length,
      findings,
    };
    const out = join(ctx.runDir, SIGN_TEST_FILE);
    await writeJsonAtomic(out, doc);
    ctx.recordOutput(out);
    const first = errors[0];
    if (first !== undefined) {
      throw new QuantError(
        'E_SIGN_TEST',
        `directional sign test found ${errors.length} error(s): ${first.code} in run ${first.run_id} (${first.symbol ?? '-'}): ${first.message}`,
        {
          location: { file: out },
          hint: `open ${out} for every finding; re-run the sleeve with SHORT atoms inverted (r_syn = -min(r_raw, 1))`,
          details: { errors: doc.errors, warnings: doc.warnings },
        },
      );
    }
    return {
      value: { file: out, errors: doc.errors, warnings: doc.warnings, runs: runIds },
      summary: `sign test on ${runIds.length} sleeve run(s): 0 errors, ${doc.warnings} warning(s)`,
    };
  },
});
