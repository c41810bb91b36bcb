/**
 * The inputs of `meta.trades`: the flattened target of a risk profile, and the holdings, prices and lot
 * tables, checked row by row. Every problem names the file and the line.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { formatLocation, QuantError } from '../../errors.js';
import { readSymbolTable, type SymbolRow } from '../../artifacts/index.js';
import type { LotItem } from '../../numeric/trades/lot-rounding.js';
import { didYouMean } from '../../util/suggest.js';
import { metaArtifactPaths } from './_artifact-types.js';
import { flattenedDocSchema, readJsonArtifact } from './_report-docs.js';

/** One symbol to trade: where it comes from and what the solver needs. */
export interface TradeLine extends LotItem {
  readonly symbol: string;
  /** The target's direction, or null for a holding outside the target (sold down to 0). */
  readonly direction: 'LONG' | 'SHORT' | null;
}

/** A user-named table: the path as given (for messages) and the resolved path. */
export interface TableRef {
  readonly name: string;
  readonly path: string;
}

function valueError(
  table: TableRef,
  row: SymbolRow,
  column: string,
  message: string,
  hint: string,
): QuantError {
  const location = { file: table.name, line: row.line, column };
  return new QuantError('E_INPUT_VALUE', `${formatLocation(location)}: ${message}`, { location, hint });
}

/** The `{M}_{P}` risk profiles that have a flattened target in the run, for the hint. */
async function flattenedProfiles(runDir: string, metaProfile: string): Promise<string[]> {
  const prefix = `portfolio_optimized_meta_${metaProfile}_`;
  const names = await readdir(join(runDir, 'data')).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(prefix) && n.endsWith('.json'))
    .map((n) => n.slice(prefix.length, -'.json'.length))
    .sort();
}

/**
 * The target weights of risk profile P of meta profile M (`meta.flatten`'s file), as Symbol → Net_Weight,
 * with the paths of the atomic sleeves each symbol comes from.
 */
export async function readTarget(
  runDir: string,
  metaProfile: string,
  riskProfile: string,
): Promise<{
  file: string;
  assets: { symbol: string; weight: number; direction: 'LONG' | 'SHORT'; sleeves: string[] }[];
}> {
  const rel = metaArtifactPaths(metaProfile, riskProfile).flattened;
  const file = join(runDir, rel);
  const doc = await readJsonArtifact(file, rel, flattenedDocSchema);
  if (doc === undefined) {
    const have = await flattenedProfiles(runDir, metaProfile);
    throw new QuantError('E_ARTIFACT_MISSING', `the run has no flattened target ${rel}`, {
      location: { file },
      hint:
        have.length === 0
          ? `run meta.flatten for ${metaProfile} first (quant meta run)`
          : `risk profiles with a target: ${have.join(', ')}${didYouMean(riskProfile, have)}`,
    });
  }
  return {
    file,
    assets: doc.assets.map((a) => ({
      symbol: a.Symbol,
      weight: a.Net_Weight,
      direction: a.Direction === 'SHORT' ? 'SHORT' : 'LONG',
      sleeves: Object.keys(a.Contributors),
    })),
  };
}

/** Holdings: symbol → quantity (negative: short), with the row. */
export async function readHoldings(table: TableRef): Promise<SymbolRow[]> {
  return readSymbolTable(table.path, table.name, [{ name: 'quantity', required: true }]);
}

/** Prices: symbol → price > 0, and the rows (for messages). */
export async function readPrices(
  table: TableRef,
): Promise<{ prices: Map<string, number>; rows: SymbolRow[] }> {
  const rows = await readSymbolTable(table.path, table.name, [{ name: 'price', required: true }]);
  const out = new Map<string, number>();
  for (const row of rows) {
    const price = row.values.get('price') as number;
    if (!(price > 0)) {
      throw valueError(
        table,
        row,
        'price',
        `the price of ${row.symbol} is ${price}`,
        'prices must be above 0',
      );
    }
    out.set(row.symbol, price);
  }
  return { prices: out, rows };
}

/** Lot sizes (> 0, default 1) and minimum tickets (≥ 0, default 0) by symbol. */
export async function readLots(
  table: TableRef,
): Promise<{ rows: SymbolRow[]; lots: Map<string, { lotSize: number; minTicket: number }> }> {
  const rows = await readSymbolTable(table.path, table.name, [
    { name: 'lot_size', required: false },
    { name: 'min_ticket', required: false },
  ]);
  const lots = new Map<string, { lotSize: number; minTicket: number }>();
  for (const row of rows) {
    const lotSize = row.values.get('lot_size') ?? 1;
    const minTicket = row.values.get('min_ticket') ?? 0;
    if (!(lotSize > 0)) {
      throw valueError(
        table,
        row,
        'lot_size',
        `the lot size of ${row.symbol} is ${lotSize}`,
        'lot sizes must be above 0 (1 for single units)',
      );
    }
    if (!(minTicket >= 0)) {
      throw valueError(
        table,
        row,
        'min_ticket',
        `the minimum ticket of ${row.symbol} is ${minTicket}`,
        'minimum tickets are notionals ≥ 0 (0 for none)',
      );
    }
    lots.set(row.symbol, { lotSize, minTicket });
  }
  return { rows, lots };
}

export interface TradeTables {
  readonly holdings: readonly SymbolRow[];
  readonly holdingsTable?: TableRef | undefined;
  readonly prices: ReadonlyMap<string, number>;
  readonly priceRows: readonly SymbolRow[];
  readonly pricesTable: TableRef;
  readonly lots: ReadonlyMap<string, { lotSize: number; minTicket: number }>;
  readonly lotRows: readonly SymbolRow[];
  readonly lotsTable: TableRef | undefined;
}

/**
 * The lines to trade: the target's symbols in its order, then holdings outside the target (target 0) in
 * the holdings' order. A symbol without a price is `E_PRICE_MISSING`; a held symbol that differs from a
 * targeted one only by case is `E_UNKNOWN_SYMBOL`. Lot rows of other symbols are
 * ignored, as price rows are (see {@link ignoredLotRows}).
 */
export function tradeLines(
  target: readonly { symbol: string; weight: number; direction: 'LONG' | 'SHORT' }[],
  targetName: string,
  t: TradeTables,
): TradeLine[] {
  const held = new Map(t.holdings.map((r) => [r.symbol, r] as const));
  const inTarget = new Set(target.map((a) => a.symbol));
  const byCase = new Map(target.map((a) => [a.symbol.toLowerCase(), a.symbol] as const));
  for (const row of t.holdings) {
    const meant = byCase.get(row.symbol.toLowerCase());
    if (meant === undefined || inTarget.has(row.symbol)) continue;
    // Symbols are case-sensitive: `sbi` would be sold off as a holding outside the target and SBI bought.
    const location = { file: t.holdingsTable?.name ?? 'holdings', line: row.line, column: 'symbol' };
    throw new QuantError(
      'E_UNKNOWN_SYMBOL',
      `${formatLocation(location)}: ${row.symbol} differs from the target's ${meant} only by case; symbols are matched exactly, so ${row.symbol} would be sold off and ${meant} bought (did you mean "${meant}"?)`,
      { location, hint: `write the symbol exactly as the target has it (${meant})` },
    );
  }
  const universe = [
    ...target.map((a) => ({ symbol: a.symbol, weight: a.weight, direction: a.direction, from: targetName })),
    ...t.holdings
      .filter((r) => !inTarget.has(r.symbol))
      .map((r) => ({ symbol: r.symbol, weight: 0, direction: null, from: `holdings line ${r.line}` })),
  ];
  return universe.map((u) => {
    const price = t.prices.get(u.symbol);
    if (price === undefined) {
      throw new QuantError(
        'E_PRICE_MISSING',
        `${t.pricesTable.name} has no price for ${u.symbol} (from ${u.from})${didYouMean(u.symbol, [...t.prices.keys()])}`,
        {
          location: { file: t.pricesTable.name },
          hint: `add a row "${u.symbol},<price>" to the prices file`,
        },
      );
    }
    const lot = t.lots.get(u.symbol) ?? { lotSize: 1, minTicket: 0 };
    return {
      symbol: u.symbol,
      direction: u.direction,
      held: held.get(u.symbol)?.values.get('quantity') ?? 0,
      price,
      target: u.weight,
      lotSize: lot.lotSize,
      minTicket: lot.minTicket,
    };
  });
}

/** The row of `symbol` in a table, when the table is given and lists it. */
function rowOf(
  table: TableRef | undefined,
  rows: readonly SymbolRow[],
  symbol: string,
): { table: TableRef; row: SymbolRow } | undefined {
  const row = rows.find((r) => r.symbol === symbol);
  return table === undefined || row === undefined ? undefined : { table, row };
}

/** An input error at a table's row (its column), or at the table when the row is unknown. */
function inputError(
  at: { table: TableRef; row: SymbolRow } | undefined,
  fallback: TableRef,
  column: string,
  what: string,
  hint: string,
): QuantError {
  if (at !== undefined) return valueError(at.table, at.row, column, what, hint);
  return new QuantError('E_INPUT_VALUE', `${fallback.name}: ${what}`, {
    location: { file: fallback.name },
    hint,
  });
}

/**
 * Every position's value (held × price) and their sum must be finite numbers: a price of 1e306 held
 * 1,000 times is beyond a double and would reach the trade list as -Infinity cash. Refused at the row of
 * the larger factor (the price, or the quantity held).
 */
export function checkValues(lines: readonly TradeLine[], t: TradeTables): void {
  let total = 0;
  for (const line of lines) {
    const value = line.held * line.price;
    total += value;
    if (Number.isFinite(value)) continue;
    const what = `${line.symbol}: ${line.held} held at ${line.price} is worth more than a number can hold (overflows to infinity)`;
    const hint = 'check the price and the quantity held of the symbol';
    const byPrice = line.price >= Math.abs(line.held);
    if (byPrice)
      throw inputError(rowOf(t.pricesTable, t.priceRows, line.symbol), t.pricesTable, 'price', what, hint);
    throw inputError(
      rowOf(t.holdingsTable, t.holdings, line.symbol),
      t.holdingsTable ?? t.pricesTable,
      'quantity',
      what,
      hint,
    );
  }
  if (!Number.isFinite(total)) {
    const file = t.holdingsTable ?? t.pricesTable;
    throw new QuantError(
      'E_INPUT_VALUE',
      `${file.name}: the holdings are worth more than a number can hold in total (overflows to infinity)`,
      { location: { file: file.name }, hint: 'check the quantities held and their prices' },
    );
  }
}

/**
 * The lot file is reference data: rows for symbols neither targeted nor held are ignored. One whose
 * symbol is close to a traded symbol without a lot row of its own (a case or spelling slip) gets a
 * warning, since that symbol then trades in lots of 1 with no minimum ticket.
 */
export function ignoredLotRows(lines: readonly TradeLine[], t: TradeTables): string[] {
  const traded = new Set(lines.map((l) => l.symbol));
  const withoutRow = lines.map((l) => l.symbol).filter((s) => !t.lots.has(s));
  return t.lotRows.flatMap((row) => {
    if (traded.has(row.symbol)) return [];
    const close = didYouMean(row.symbol, withoutRow);
    if (close === '') return [];
    const location = formatLocation({ file: t.lotsTable?.name ?? 'lots', line: row.line, column: 'symbol' });
    return [
      `${location}: ${row.symbol} is neither in the target nor in the holdings, row ignored${close}; symbols are matched exactly, so a traded symbol without a lot row trades in lots of 1 with no minimum ticket`,
    ];
  });
}

/**
 * Orders are counted in whole lots, exactly: every count the rounding may reach (the lots to the target
 * or to zero, the lots of a minimum ticket) must be a safe integer. A lot size or price so small against
 * the NAV that it is not (2^53 lots and more) is refused here, naming the row, instead of a search that
 * cannot step from one count to the next.
 */
export function checkLotCounts(lines: readonly TradeLine[], nav: number, t: TradeTables): void {
  for (const line of lines) {
    const lotCash = line.lotSize * line.price;
    const toTarget = Math.abs((line.target * nav) / line.price - line.held) / line.lotSize;
    const toZero = Math.abs(line.held) / line.lotSize;
    const ticket = line.minTicket / lotCash;
    const lots = Math.max(toTarget, toZero, ticket);
    if (lots <= Number.MAX_SAFE_INTEGER) continue;
    const what =
      `${line.symbol} would trade up to ${lots.toPrecision(3)} lots of ${line.lotSize} at ${line.price} ` +
      `(NAV ${nav}); whole lots are counted exactly only up to 2^53 (about 9.0e15)`;
    const lotRow = rowOf(t.lotsTable, t.lotRows, line.symbol);
    // The row that makes the count: a quantity held beyond any lot count (with lots of 1 or more), else
    // the lot row, else the price.
    if (lots === toZero && ticket < toZero && line.lotSize >= 1) {
      throw inputError(
        rowOf(t.holdingsTable, t.holdings, line.symbol),
        t.holdingsTable ?? t.pricesTable,
        'quantity',
        what,
        'check the quantity held of the symbol',
      );
    }
    const hint =
      'check the lot size and the price of the symbol: a lot is a tradable quantity (1 for single units)';
    if (lotRow !== undefined) throw inputError(lotRow, t.pricesTable, 'lot_size', what, hint);
    throw inputError(rowOf(t.pricesTable, t.priceRows, line.symbol), t.pricesTable, 'price', what, hint);
  }
}
