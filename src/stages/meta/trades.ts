import { open } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { csvFormatRows } from 'd3-dsv';
import { z } from 'zod';
import { defineStage, type StageContext } from '../../core/stage.js';
import { QuantError } from '../../errors.js';
import {
  displayPath,
  isPathInside,
  readRunJson,
  recordedOutputWriters,
  writeFileAtomic,
  writeJsonAtomic,
} from '../../artifacts/index.js';
import { metaArtifactPaths } from './_artifact-types.js';
import { optimizedDocSchema, readJsonArtifact } from './_report-docs.js';
import {
  roundToLots,
  type BrokenCap,
  type LotRoundingOptions,
  type LotRoundingResult,
} from '../../numeric/trades/lot-rounding.js';
import { ID_PATTERN, MAX_PROFILE_NAME_LENGTH } from '../../manifest/index.js';
import { assertFresh, recordedTradesNavPath, type Freshness } from './freshness.js';
import {
  readHoldings,
  readLots,
  readPrices,
  readTarget,
  tradeLines,
  checkLotCounts,
  ignoredLotRows,
  checkValues,
  type TableRef,
  type TradeLine,
} from './_trades-inputs.js';

const profileName = z.string().regex(ID_PATTERN).max(MAX_PROFILE_NAME_LENGTH);

const metaTradesParams = z.strictObject({
  risk_profile: profileName.describe('risk profile P whose flattened target becomes orders'),
  meta_profile: profileName.optional().describe('meta profile M of the run (default: the run’s own profile)'),
  prices_file: z
    .string()
    .min(1)
    .describe('CSV of symbol,price (price > 0) for every symbol targeted or held'),
  holdings_file: z
    .string()
    .min(1)
    .optional()
    .describe('CSV of symbol,quantity held now (negative: short); default: nothing held'),
  lots_file: z
    .string()
    .min(1)
    .optional()
    .describe('CSV of symbol,lot_size,min_ticket (default lot 1, no minimum ticket)'),
  nav: z
    .number()
    .positive()
    .refine(Number.isFinite, 'must be finite')
    .describe('portfolio value the target weights apply to (holdings plus cash), > 0'),
  max_data_age_days: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      'refuse (E_STALE_DATA) a target whose last common date is more days old than this (default: the meta profile’s max_data_age_days; neither: no limit)',
    ),
  allow_stale: z
    .boolean()
    .default(false)
    .describe('produce the orders from stale data anyway (recorded in the ledger and the trade list)'),
  output: z
    .string()
    .min(1)
    .regex(/\.csv$/i, 'must end in .csv')
    .optional()
    .describe(
      'CSV of the orders; the full trade list is written next to it as .json (default runs/<run_id>/data/trades_{M}_{P}.csv)',
    ),
});

type Side = 'BUY' | 'SELL' | 'HOLD';

/** An atomic sleeve of the target, as the trade list dates it. */
export interface SleeveAge {
  readonly path: string;
  readonly last_refit: string | null;
  readonly last_date: string;
  readonly lag_days: number;
}

/** The sleeves of the data age, in the meta manifest's order. */
function sleeveAges(freshness: Freshness): SleeveAge[] {
  return freshness.streams.map((s) => ({
    path: s.id,
    last_refit: s.refitDate,
    last_date: s.lastDate,
    lag_days: s.lagDays,
  }));
}

/**
 * The `sleeves` cell of an order: each atomic sleeve the symbol comes from (its target's contributors; a
 * nested level kept as one stream stands for its sleeves), with its last refit and last data date.
 */
function sleevesCell(paths: readonly string[], ages: readonly SleeveAge[]): string {
  const shown = ages.filter((a) => paths.some((p) => p === a.path || p.startsWith(`${a.path}/`)));
  return shown.map((a) => `${a.path} refit ${a.last_refit ?? 'unknown'} data ${a.last_date}`).join('; ');
}

/** What `meta.trades` returns. */
export interface MetaTradesValue {
  /** Absolute paths of the orders CSV and of the full trade list (JSON). */
  readonly csv: string;
  readonly json: string;
  /** One entry per order (HOLD lines left out), in the trade list's order. */
  readonly orders: readonly {
    readonly symbol: string;
    readonly side: 'BUY' | 'SELL';
    readonly quantity: number;
    readonly price: number;
    readonly notional: number;
  }[];
  /** Cash left after the orders. */
  readonly residual_cash: number;
  /**
   * Per atomic sleeve by path (`mid/ga`): the date its weights were last re-estimated (null: its run does
   * not record it), its stream's last date and how many days that ends before the latest-ending stream.
   */
  readonly sleeves: readonly SleeveAge[];
  readonly rounding: {
    readonly method: 'nearest_lot' | 'branch_and_bound' | 'greedy';
    readonly optimal: boolean;
    readonly reason: string | null;
    readonly nodes: number;
    /** Σ (final weight − target)², and its square root. */
    readonly objective: number;
    readonly tracking_error: number;
  };
}

/** Quantities and notionals as decimals: lot multiples of 0.001 stay 0.003, not 0.0030000000000000005. */
const tidy = (x: number): number => (x === 0 ? 0 : Number(x.toPrecision(12)));

/** How a number reads in a note: 12 significant digits at most. */
const num = (x: number): string => String(tidy(x));

/**
 * Why a line ends where it does, when it is not simply the nearest whole lot: trimmed to fit the cash,
 * held back by the minimum ticket, a held odd lot outside the target kept; and an order crossing zero,
 * which a broker desk splits in two. Null when none applies.
 */
function noteOf(line: TradeLine, lots: number, nearest: number, nav: number, cap: CapNote): string | null {
  const notes: string[] = [];
  if (cap.heldBeyond) {
    const way = line.held > 0 ? 'sold' : 'bought back';
    notes.push(
      `held beyond its exposure cap (${cap.key ?? 'exposure_limits'}), so only ${way} toward it: ${num(nearest)} lots instead of ${num(cap.uncapped)}`,
    );
  } else if (cap.uncapped !== nearest) {
    notes.push(
      `held to ${num(nearest)} lots instead of ${num(cap.uncapped)} by its exposure cap (${cap.key ?? 'exposure_limits'})`,
    );
  }
  if (cap.moved !== undefined) {
    notes.push(
      `${num(lots)} lots instead of ${num(cap.moved.from)} to bring ${cap.moved.key} within its cap`,
    );
  }
  // The rounding solved again after the repair moved this line off its repaired lots (and not to its nearest).
  if (cap.respent !== undefined && lots !== cap.respent.from && lots !== nearest) {
    notes.push(
      lots > cap.respent.from
        ? `${num(lots)} lots instead of ${num(cap.respent.from)}, bought with the cash freed by the repair of ${cap.respent.keys}`
        : `${num(lots)} lots instead of ${num(cap.respent.from)} when the rounding was solved again to spend the cash freed by the repair of ${cap.respent.keys}`,
    );
  }
  const final = tidy(line.held + lots * line.lotSize);
  const wanted = (line.target * nav) / line.price - line.held;
  // The rounding's own answer, before a move for a group cap.
  const rounded = cap.moved?.from ?? lots;
  if (rounded < nearest) {
    if (rounded < 0)
      notes.push(
        `sells ${num(-rounded)} lots instead of ${num(-nearest)} to raise cash for the other orders`,
      );
    else if (rounded === 0)
      notes.push(`not traded: the cash left does not fit it (the nearest whole lots: ${num(nearest)})`);
    else notes.push(`trimmed to fit the cash: ${num(rounded)} lots instead of ${num(nearest)}`);
  } else if (lots === 0 && line.minTicket > 0 && Math.abs(wanted) >= line.lotSize / 2) {
    notes.push(`not traded: the order would be below the minimum ticket of ${num(line.minTicket)}`);
  }
  if (line.held > 0 && final < 0) {
    notes.push(`crosses zero: sell ${num(line.held)} to close, sell ${num(-final)} short`);
  } else if (line.held < 0 && final > 0) {
    notes.push(`crosses zero: buy ${num(-line.held)} to cover, buy ${num(final)} long`);
  }
  if (line.direction === null && final !== 0 && Math.abs(final) < line.lotSize) {
    notes.push(
      `${num(final)} kept: less than a lot of ${num(line.lotSize)}, so no whole-lot order closes it (close it outside the lot rule if needed)`,
    );
  }
  return notes.length === 0 ? null : notes.join('; ');
}

/** What the exposure caps did to a line: its nearest lots without its own cap, and a repair move. */
interface CapNote {
  readonly uncapped: number;
  readonly key: string | undefined;
  /** Whether what is held is beyond the line's own cap already (its orders only move toward it). */
  readonly heldBeyond: boolean;
  readonly moved: { readonly from: number; readonly key: string } | undefined;
  /** The line's lots after the cap repair, and the caps it repaired, when the rounding was solved again. */
  readonly respent: { readonly from: number; readonly keys: string } | undefined;
}

function tradeRow(
  line: TradeLine,
  lots: number,
  nearest: number,
  nav: number,
  sleeves: string,
  cap: CapNote,
) {
  const quantity = tidy(Math.abs(lots) * line.lotSize);
  const final = tidy(line.held + lots * line.lotSize);
  const side: Side = lots > 0 ? 'BUY' : lots < 0 ? 'SELL' : 'HOLD';
  return {
    symbol: line.symbol,
    direction: line.direction,
    side,
    quantity,
    lots: Math.abs(lots),
    price: line.price,
    notional: tidy(quantity * line.price),
    held: line.held,
    final_quantity: final,
    target_weight: line.target,
    final_weight: (final * line.price) / nav,
    target_quantity: (line.target * nav) / line.price,
    lot_size: line.lotSize,
    min_ticket: line.minTicket,
    note: noteOf(line, lots, nearest, nav, cap),
    sleeves,
  };
}

type TradeRow = ReturnType<typeof tradeRow>;

const CSV_COLUMNS = ['symbol', 'side', 'quantity', 'lots', 'price', 'notional', 'sleeves'] as const;

function ordersCsv(rows: readonly TradeRow[]): string {
  const orders = rows.filter((r) => r.side !== 'HOLD');
  return `${csvFormatRows([[...CSV_COLUMNS], ...orders.map((r) => CSV_COLUMNS.map((c) => String(r[c])))])}\n`;
}

async function tables(ctx: StageContext, params: z.output<typeof metaTradesParams>) {
  const ref = (name: string): TableRef => ({ name, path: ctx.resolvePath(name) });
  const pricesTable = ref(params.prices_file);
  const holdingsTable = params.holdings_file === undefined ? undefined : ref(params.holdings_file);
  const lotsTable = params.lots_file === undefined ? undefined : ref(params.lots_file);
  const holdings = holdingsTable === undefined ? [] : await readHoldings(holdingsTable);
  const { prices, rows: priceRows } = await readPrices(pricesTable);
  const lots = lotsTable === undefined ? { rows: [], lots: new Map() } : await readLots(lotsTable);
  for (const t of [pricesTable, holdingsTable, lotsTable]) if (t !== undefined) ctx.recordInput(t.path);
  return {
    tables: {
      holdings,
      holdingsTable,
      prices,
      priceRows,
      pricesTable,
      lots: lots.lots,
      lotRows: lots.rows,
      lotsTable,
    },
  };
}

/** The data-age gate: stale targets are refused unless allowed; the verdict goes to the ledger. */
async function checkFreshness(
  ctx: StageContext,
  metaProfile: string,
  params: z.output<typeof metaTradesParams>,
): Promise<Freshness> {
  const verdict = await assertFresh(
    { runDir: ctx.runDir, metaProfile, riskProfile: params.risk_profile },
    params.max_data_age_days,
    ctx.now,
    { allowStale: params.allow_stale },
  );
  await ctx.decision('trades.data_age', {
    last_date: verdict.lastDate,
    as_of: verdict.asOf,
    age_days: verdict.ageDays,
    max_data_age_days: verdict.maxAgeDays,
    stale: verdict.stale,
    overridden: verdict.overridden,
    sleeves: sleeveAges(verdict),
  });
  if (verdict.overridden) {
    ctx.warn(
      `the target's data ends ${verdict.lastDate}, ${verdict.ageDays} days old (max ${verdict.maxAgeDays}): orders produced anyway (allow_stale)`,
    );
  }
  return verdict;
}

async function metaProfileOf(ctx: StageContext, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  const run = await readRunJson(ctx.workspace, ctx.runId);
  if (run.kind === 'meta' && typeof run.profile === 'string') return run.profile;
  if (run.kind === 'meta' && run.profile === null) {
    // A meta run always names its meta profile: this one was opened by this very stage, so no meta run
    // of that id existed (`quant stage run meta.trades --run-id <typo>`).
    throw new QuantError(
      'E_RUN_NOT_FOUND',
      `run ${ctx.runId} does not exist: meta.trades trades a finished meta run`,
      {
        hint: 'name a meta run of `quant runs list`',
      },
    );
  }
  throw new QuantError('E_PARAMS', `run ${ctx.runId} is not a meta run; name the meta profile`, {
    hint: 'pass meta_profile (--meta-profile M)',
  });
}

interface OutputPlan {
  readonly csv: string;
  readonly json: string;
}

/**
 * Why the run forbids `path` as a trades output: its config or a file another stage of the run wrote
 * (the ledger would then record the trade list as that artifact, and the audit would pass the swap).
 */
function forbiddenInRun(
  ctx: StageContext,
  path: string,
  writers: ReadonlyMap<string, ReadonlySet<string>>,
): string | undefined {
  if (isPathInside(join(ctx.runDir, 'config'), path))
    return "it lies in the run's config/ (the manifest the run was made from)";
  const others = [...(writers.get(path) ?? [])].filter((stage) => stage !== 'meta.trades');
  if (others.length === 0) return undefined;
  return `it is an artifact of ${others.join(', ')} recorded in ${displayPath(ctx.workspace, join(ctx.runDir, 'audit.jsonl'))}`;
}

/**
 * The orders CSV and the trade list JSON next to it, both checked before anything is computed: not run
 * state, not an input of this call, not a file of the run another stage wrote.
 */
async function planOutputs(
  ctx: StageContext,
  given: string | undefined,
  defaultStem: string,
  inputs: readonly string[],
): Promise<OutputPlan> {
  const csvPath = await ctx.resolveOutput(given ?? join(ctx.runDir, `${defaultStem}.csv`));
  const jsonPath = await ctx.resolveOutput(`${csvPath.slice(0, -extname(csvPath).length)}.json`);
  const writers = await recordedOutputWriters(ctx.workspace, join(ctx.runDir, 'audit.jsonl'));
  for (const out of [csvPath, jsonPath]) {
    if (inputs.includes(out)) {
      throw new QuantError('E_OUTPUT', `output ${out} would overwrite an input`, {
        hint: 'choose another output path',
      });
    }
    const shown = displayPath(ctx.workspace, out);
    const via = out === csvPath ? '' : ` (the trade list next to the CSV)`;
    const why = forbiddenInRun(ctx, out, writers);
    if (why !== undefined) {
      throw new QuantError(
        'E_OUTPUT_FORBIDDEN',
        `output ${shown}${via} would replace a file of run ${ctx.runId}: ${why}`,
        {
          location: { file: given ?? shown },
          hint: 'name another --output (a .csv; its .json goes next to it), or leave it out: the default is data/trades_{M}_{P}.csv of the run',
          details: { output: given ?? null, path: out },
        },
      );
    }
    // Any other file is an input of someone (holdings, prices, a sleeve's data): only a trade list is replaced.
    const found = await existingNonTradeList(out, out === csvPath ? 'csv' : 'json');
    if (found !== undefined) {
      throw new QuantError(
        'E_OUTPUT_EXISTS',
        `output ${shown}${via} exists and is not a trade list (${found}); it may be an input such as a holdings, prices or data file`,
        {
          location: { file: given ?? shown },
          hint: `name another --output, or remove ${shown} first if it is to go (a trade list written before is replaced)`,
          details: { output: given ?? null, path: out },
        },
      );
    }
  }
  return { csv: csvPath, json: jsonPath };
}

/**
 * Why the existing file `path` is not a trade list this stage wrote (an orders CSV whose header starts
 * `symbol,side,quantity,`, a trade-list JSON starting with its first keys), read from its first 4 KiB; undefined when
 * there is no such file, it is empty, or it is a trade list (which a new one replaces).
 */
async function existingNonTradeList(path: string, kind: 'csv' | 'json'): Promise<string | undefined> {
  let head: string;
  try {
    const handle = await open(path, 'r');
    try {
      const buf = Buffer.alloc(4096);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (head.length === 0) return undefined;
  if (kind === 'csv') {
    const first = (head.split(/\r?\n/, 1)[0] ?? '').replace(/^\uFEFF/, '');
    return first.startsWith('symbol,side,quantity,')
      ? undefined
      : `its first line is ${JSON.stringify(first.slice(0, 80))}`;
  }
  return /^\{\s*"schema_version":\s*1,\s*"run_id":\s*"[^"]*",\s*"meta_profile":/.test(head)
    ? undefined
    : 'it does not start as a trade list JSON does';
}

/** A final weight further than this from its target (1 percentage point) gets a warning. */
const TARGET_MISS = 0.01;
/** A final weight beyond an exposure cap by more than this gets a warning (the optimizer's tolerance). */
const CAP_TOLERANCE = 1e-9;

interface Caps {
  readonly file: string;
  readonly maxWeight?: number;
  readonly symbols: Readonly<Record<string, number>>;
  readonly prefixes: Readonly<Record<string, number>>;
}

/** The meta profile's `exposure_caps` as the run's optimizer recorded them, if any. */
async function exposureCaps(
  ctx: StageContext,
  metaProfile: string,
  riskProfile: string,
): Promise<Caps | undefined> {
  const rel = metaArtifactPaths(metaProfile, riskProfile).optimized;
  const file = join(ctx.runDir, rel);
  const doc = await readJsonArtifact(file, rel, optimizedDocSchema);
  const caps = doc?.exposure_caps;
  if (caps === undefined) return undefined;
  ctx.recordInput(file);
  return {
    file: rel,
    ...(caps.max_weight === undefined ? {} : { maxWeight: caps.max_weight }),
    symbols: caps.symbols ?? {},
    prefixes: caps.prefixes ?? {},
  };
}

const pct = (w: number): string => `${Number((w * 100).toPrecision(6))} %`;

/** The cap of one symbol and where it is set (`exposure_limits.symbols.S` or `.max_weight`). */
function symbolCap(caps: Caps, symbol: string): { key: string; cap: number } | undefined {
  const own = Object.hasOwn(caps.symbols, symbol) ? caps.symbols[symbol] : undefined;
  if (own !== undefined) return { key: `exposure_limits.symbols.${symbol}`, cap: own };
  return caps.maxWeight === undefined
    ? undefined
    : { key: 'exposure_limits.max_weight', cap: caps.maxWeight };
}

/** The caps as the rounding takes them: one per line, one per prefix over the lines it covers. */
function roundingCaps(lines: readonly TradeLine[], caps: Caps | undefined): LotRoundingOptions['caps'] {
  if (caps === undefined) return undefined;
  return {
    symbols: lines.map((l) => symbolCap(caps, l.symbol)),
    groups: Object.entries(caps.prefixes).map(([prefix, cap]) => ({
      key: `exposure_limits.prefixes.${prefix}`,
      members: lines.flatMap((l, i) => (l.symbol.startsWith(prefix) ? [i] : [])),
      cap,
    })),
  };
}

/**
 * Final weights still past the meta profile's exposure caps (|net weight| ≤ cap) after the rounding
 * enforced them, each with why it could not: the target itself beyond the cap, or the reason the repair
 * found no move (`brokenCaps`); and a symbol held beyond its cap already, which is only traded toward it,
 * with where it ends.
 */
function capWarnings(
  rows: readonly TradeRow[],
  caps: Caps | undefined,
  broken: readonly BrokenCap[],
  nav: number,
): string[] {
  if (caps === undefined) return [];
  const why = new Map(broken.map((b) => [b.key, b.reason] as const));
  const because = (key: string, beyond: boolean): string =>
    beyond
      ? 'the target itself is beyond it'
      : `no order set in whole lots keeps it: ${why.get(key) ?? 'no lot move brings it closer'}`;
  const out: string[] = [];
  for (const r of rows) {
    const c = symbolCap(caps, r.symbol);
    if (c === undefined) continue;
    const held = (r.held * r.price) / nav;
    const heldBeyond = Math.abs(held) > c.cap + CAP_TOLERANCE;
    const way = held > 0 ? 'sold' : 'bought back';
    const was = `held at ${pct(held)}, beyond the cap already, it is only ${way} toward it`;
    if (!(Math.abs(r.final_weight) > c.cap + CAP_TOLERANCE)) {
      if (heldBeyond)
        out.push(
          `${r.symbol} was held at ${pct(held)} of the NAV, beyond its exposure cap of ±${pct(c.cap)} (${c.key}; target ${pct(r.target_weight)}): it is only ${way}, and ends at ${pct(r.final_weight)}, within the cap`,
        );
      continue;
    }
    const beyond = Math.abs(r.target_weight) > c.cap + CAP_TOLERANCE;
    out.push(
      `${r.symbol} ends at ${pct(r.final_weight)} of the NAV, beyond its exposure cap of ±${pct(c.cap)} (${c.key}; target ${pct(r.target_weight)}): ${because(c.key, beyond)}${heldBeyond ? `; ${was}` : ''}; trade it down by hand if the cap is a hard limit`,
    );
  }
  for (const [prefix, cap] of Object.entries(caps.prefixes)) {
    const members = rows.filter((r) => r.symbol.startsWith(prefix));
    const sum = members.reduce((s, r) => s + r.final_weight, 0);
    if (!(Math.abs(sum) > cap + CAP_TOLERANCE)) continue;
    const target = members.reduce((s, r) => s + r.target_weight, 0);
    const key = `exposure_limits.prefixes.${prefix}`;
    out.push(
      `the symbols starting with ${prefix} end at ${pct(sum)} of the NAV together, beyond their exposure cap of ±${pct(cap)} (${key}; target ${pct(target)}): ${because(key, Math.abs(target) > cap + CAP_TOLERANCE)}`,
    );
  }
  return out;
}

/**
 * Positions ending more than {@link TARGET_MISS} from their target weight, with why, in one warning;
 * then those of {@link droppedWarnings}.
 */
function missWarnings(rows: readonly TradeRow[], nav: number): string[] {
  const far = rows.filter((r) => Math.abs(r.final_weight - r.target_weight) > TARGET_MISS);
  if (far.length === 0) return droppedWarnings(rows);
  const shown = far.slice(0, 5).map((r) => {
    const why = r.note ?? `a lot is worth ${pct((r.lot_size * r.price) / nav)} of the NAV`;
    return `${r.symbol} ${pct(r.final_weight)} for a target of ${pct(r.target_weight)} (${why})`;
  });
  const more = far.length > 5 ? `, and ${far.length - 5} more (see the trade list)` : '';
  return [
    `${far.length} position${far.length === 1 ? '' : 's'} end more than ${TARGET_MISS * 100} percentage point from their target weight after rounding to whole lots: ${shown.join('; ')}${more}`,
    ...droppedWarnings(rows),
  ];
}

/**
 * Targeted positions the rounding leaves at nothing while they miss by less than {@link TARGET_MISS}
 * (a small target below a lot or a minimum ticket): a holding the allocation asks for and the orders do
 * not build, however small, is said, with why.
 */
function droppedWarnings(rows: readonly TradeRow[]): string[] {
  const dropped = rows.filter(
    (r) =>
      r.target_weight !== 0 &&
      r.final_weight === 0 &&
      Math.abs(r.final_weight - r.target_weight) <= TARGET_MISS,
  );
  if (dropped.length === 0) return [];
  const shown = dropped
    .slice(0, 5)
    .map((r) => `${r.symbol} (target ${pct(r.target_weight)}${r.note === null ? '' : `; ${r.note}`})`);
  const more = dropped.length > 5 ? `, and ${dropped.length - 5} more (see the trade list)` : '';
  const n = dropped.length;
  return [
    `${n} position${n === 1 ? '' : 's'} of the target ${n === 1 ? 'is' : 'are'} not held after rounding to whole lots: ${shown.join('; ')}${more}`,
  ];
}

async function writeOutputs(
  ctx: StageContext,
  plan: OutputPlan,
  csv: string,
  doc: unknown,
): Promise<OutputPlan> {
  await writeJsonAtomic(plan.json, doc);
  await writeFileAtomic(plan.csv, csv);
  ctx.recordOutput(plan.json);
  ctx.recordOutput(plan.csv);
  return plan;
}

/**
 * What the exposure caps did to the rounding, for the ledger: per line and cap the repair moved, its lots
 * before and after the moves and how many one-lot steps; the caps left broken with why; the lines held
 * beyond their own cap already (only traded toward it).
 */
function capRecord(lines: readonly TradeLine[], rounding: LotRoundingResult) {
  const moves: { symbol: string; key: string; from: number; to: number; steps: number }[] = [];
  for (const m of rounding.capMoves) {
    const symbol = lines[m.index]?.symbol ?? '';
    const same = moves.find((x) => x.symbol === symbol && x.key === m.key);
    if (same === undefined) moves.push({ symbol, key: m.key, from: m.from, to: m.to, steps: 1 });
    else {
      same.to = m.to;
      same.steps += 1;
    }
  }
  return {
    cap_moves: moves,
    broken_caps: rounding.brokenCaps.map((b) => ({ key: b.key, reason: b.reason })),
    held_beyond_cap: lines.flatMap((l, i) => (rounding.heldBeyond[i] === true ? [l.symbol] : [])),
  };
}

/** One row per line of the trade list, with what the rounding and the caps did to it. */
function tradeRows(
  lines: readonly TradeLine[],
  rounding: LotRoundingResult,
  caps: Caps | undefined,
  nav: number,
  sleevesOf: (symbol: string) => string,
): TradeRow[] {
  const repairedKeys = [...new Set(rounding.capMoves.map((m) => m.key))].join(', ');
  return lines.map((line, i) => {
    const first = rounding.capMoves.find((m) => m.index === i);
    const repaired = rounding.repaired[i] as number;
    return tradeRow(
      line,
      rounding.lots[i] as number,
      rounding.nearest[i] as number,
      nav,
      sleevesOf(line.symbol),
      {
        uncapped: rounding.uncapped[i] as number,
        key: caps === undefined ? undefined : symbolCap(caps, line.symbol)?.key,
        heldBeyond: rounding.heldBeyond[i] === true,
        moved: first === undefined ? undefined : { from: first.from, key: first.key },
        respent:
          rounding.capMoves.length === 0 || repaired === rounding.lots[i]
            ? undefined
            : { from: repaired, keys: repairedKeys },
      },
    );
  });
}

/**
 * A NAV below what the holdings are worth at these prices (cash before the orders below 0) is usually a
 * typo or a NAV in another unit: the orders then sell the portfolio down to the NAV, so it is said, naming
 * where the NAV was given (`--nav`, or the manifest's `trades.nav` for the run's trades block).
 */
async function navBelowHoldings(
  ctx: StageContext,
  metaProfile: string,
  params: z.output<typeof metaTradesParams>,
  lines: readonly TradeLine[],
): Promise<string | undefined> {
  const held = lines.reduce((s, l) => s + l.held * l.price, 0);
  if (held <= params.nav) return undefined;
  const navPath = await recordedTradesNavPath(ctx.runDir, metaProfile, params.risk_profile, params.nav);
  const check =
    navPath === undefined
      ? 'check --nav (the portfolio value, holdings plus cash)'
      : `check ${navPath} in the manifest (the portfolio value, holdings plus cash)`;
  return `the holdings are worth ${tidy(held)} at these prices, more than the NAV of ${tidy(params.nav)} (cash before the orders ${tidy(params.nav - held)}): the orders sell to bring the portfolio down to the NAV — ${check}`;
}

function summaryOf(rows: readonly TradeRow[], rounding: LotRoundingResult): string {
  const orders = rows.filter((r) => r.side !== 'HOLD');
  const buys = orders.filter((r) => r.side === 'BUY').length;
  return `${orders.length} orders (${buys} buys, ${orders.length - buys} sells), residual cash ${tidy(rounding.cash)}, rounding ${rounding.method}${rounding.optimal ? ' (optimal)' : ''}`;
}

export const metaTrades = defineStage({
  id: 'meta.trades',
  name: 'Meta trade list',
  description:
    'Orders that move the holdings to the flattened target of a risk profile: quantities in whole lots (minimum tickets respected) closest to the target weights with cash ≥ 0, exact by branch-and-bound on small lists, greedy above a size limit (recorded). Nothing is sent anywhere.',
  category: 'meta',
  tags: ['meta', 'trades', 'orders'],
  aliases: [],
  params: metaTradesParams,
  output:
    'runs/<run_id>/data/trades_{M}_{P}.csv (symbol, side, quantity, lots, price, notional: one row per order) and the full trade list as .json next to it (or at `output`).',
  async run(params, ctx): Promise<{ value: MetaTradesValue; summary: string }> {
    const metaProfile = await metaProfileOf(ctx, params.meta_profile);
    const plan = await planOutputs(
      ctx,
      params.output,
      `data/trades_${metaProfile}_${params.risk_profile}`,
      [params.prices_file, params.holdings_file, params.lots_file].flatMap((f) =>
        f === undefined ? [] : [ctx.resolvePath(f)],
      ),
    );
    const target = await readTarget(ctx.runDir, metaProfile, params.risk_profile);
    ctx.recordInput(target.file);
    const freshness = await checkFreshness(ctx, metaProfile, params);
    const { tables: t } = await tables(ctx, params);
    const lines = tradeLines(target.assets, `the ${params.risk_profile} target`, t);
    checkValues(lines, t);
    for (const warning of ignoredLotRows(lines, t)) ctx.warn(warning);
    checkLotCounts(lines, params.nav, t);
    const navWarning = await navBelowHoldings(ctx, metaProfile, params, lines);
    if (navWarning !== undefined) ctx.warn(navWarning);
    const caps = await exposureCaps(ctx, metaProfile, params.risk_profile);
    const capped = roundingCaps(lines, caps);
    const rounding = roundToLots(lines, {
      nav: params.nav,
      ...(capped === undefined ? {} : { caps: capped }),
    });
    await ctx.decision('trades.rounding', {
      method: rounding.method,
      optimal: rounding.optimal,
      reason: rounding.reason,
      nodes: rounding.nodes,
      ...capRecord(lines, rounding),
    });
    if (!rounding.optimal)
      ctx.warn(`trade rounding not proven optimal: ${rounding.reason ?? rounding.method}`);
    const sleeves = sleeveAges(freshness);
    const contributors = new Map(target.assets.map((a) => [a.symbol, a.sleeves] as const));
    const rows = tradeRows(lines, rounding, caps, params.nav, (symbol) =>
      sleevesCell(contributors.get(symbol) ?? [], sleeves),
    );
    const warnings = [
      ...capWarnings(rows, caps, rounding.brokenCaps, params.nav),
      ...missWarnings(rows, params.nav),
    ];
    for (const warning of warnings) ctx.warn(warning);
    const doc = {
      schema_version: 1,
      run_id: ctx.runId,
      meta_profile: metaProfile,
      risk_profile: params.risk_profile,
      nav: params.nav,
      cash_before: tidy(params.nav - lines.reduce((s, l) => s + l.held * l.price, 0)),
      residual_cash: tidy(rounding.cash),
      data_age: {
        last_date: freshness.lastDate,
        as_of: freshness.asOf,
        age_days: freshness.ageDays,
        max_data_age_days: freshness.maxAgeDays,
        stale: freshness.stale,
        overridden: freshness.overridden,
        sleeves,
      },
      rounding: {
        method: rounding.method,
        optimal: rounding.optimal,
        reason: rounding.reason,
        nodes: rounding.nodes,
        objective: rounding.objective,
        tracking_error: Math.sqrt(rounding.objective),
      },
      trades: rows,
    };
    const written = await writeOutputs(ctx, plan, ordersCsv(rows), doc);
    return {
      value: {
        csv: written.csv,
        json: written.json,
        orders: rows
          .filter((r): r is TradeRow & { side: 'BUY' | 'SELL' } => r.side !== 'HOLD')
          .map((r) => ({
            symbol: r.symbol,
            side: r.side,
            quantity: r.quantity,
            price: r.price,
            notional: r.notional,
          })),
        residual_cash: doc.residual_cash,
        rounding: doc.rounding,
        sleeves,
      },
      summary: summaryOf(rows, rounding),
    };
  },
});
