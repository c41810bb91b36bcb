/**
 * A sleeve run's weights files (DESIGN §4): `data/portfolio_flattened.json` (physical assets) and the
 * optional `data/portfolio_optimized_v2.json` (logic atoms), both shaped
 * `{"profiles": {"<P>": {"assets": [{Symbol, Weight, Net_Weight, Direction, ...}]}}}`, and the rule that
 * maps an atom id to its physical symbol.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QuantError } from '../errors.js';
import { assertConfined } from './file-access.js';

export const DIRECTIONS = ['LONG', 'SHORT'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** One physical asset of a risk profile: gross weight (≥ 0), signed net weight and direction. */
export interface PhysicalWeight {
  readonly Symbol: string;
  readonly Weight: number;
  readonly Net_Weight: number;
  readonly Direction: Direction;
}

/** One logic atom (e.g. `CME_MINI:ES1!_trend_SHORT`); `Physical` names its physical asset when given. */
export interface AtomWeight extends PhysicalWeight {
  readonly Physical?: string;
}

/** A weights file as read: the file and, per risk profile (file order), its rows (file order). */
export interface WeightsFile<T extends PhysicalWeight> {
  readonly file: string;
  readonly profiles: Map<string, T[]>;
}

export const PHYSICAL_WEIGHTS_FILE = 'data/portfolio_flattened.json';
export const ATOM_WEIGHTS_FILE = 'data/portfolio_optimized_v2.json';

const SUFFIX_RE = /_(LONG|SHORT)$/;
const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function member(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return IDENTIFIER_RE.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The direction a `_LONG` / `_SHORT` suffix states, if any. */
export function suffixDirection(id: string): Direction | undefined {
  return SUFFIX_RE.exec(id)?.[1] as Direction | undefined;
}

/**
 * The physical asset and direction of a logic atom (DESIGN §4). Rules, in order:
 * 1. the direction is the `_LONG` / `_SHORT` suffix of the id (none → `LONG`);
 * 2. a non-empty `physical` (the atom's `Physical` field) is the symbol;
 * 3. else, among `known` symbols (e.g. the columns of `returns_matrix.parquet`), the longest that is the id
 *    itself or a prefix of it followed by `_`;
 * 4. else the id without its direction suffix, cut at the first `_` after the exchange prefix (everything
 *    up to the first `:`, kept intact): `CME_MINI:ES1!_trend_SHORT` → `CME_MINI:ES1!`. Tickers rarely
 *    contain `_` while logic names often do (`mean_rev`), so a ticker with `_` (`BRK_B_trend`) needs
 *    rule 2 or 3 to be read correctly.
 */
export function physicalSymbol(
  atomId: string,
  physical?: string,
  known?: Iterable<string>,
): { readonly symbol: string; readonly direction: Direction } {
  const direction = suffixDirection(atomId) ?? 'LONG';
  if (physical !== undefined && physical !== '') return { symbol: physical, direction };
  if (known !== undefined) {
    let best: string | undefined;
    for (const s of known) {
      if (
        s !== '' &&
        (atomId === s || atomId.startsWith(`${s}_`)) &&
        (best === undefined || s.length > best.length)
      )
        best = s;
    }
    if (best !== undefined) return { symbol: best, direction };
  }
  const base = atomId.replace(SUFFIX_RE, '');
  const colon = base.indexOf(':');
  const exchange = colon < 0 ? '' : base.slice(0, colon + 1);
  const rest = base.slice(exchange.length);
  const cut = rest.indexOf('_');
  return { symbol: exchange + (cut > 0 ? rest.slice(0, cut) : rest), direction };
}

function formatError(file: string, jsonPath: string, message: string, hint?: string): QuantError {
  return new QuantError('E_INPUT_FORMAT', `${file} ${jsonPath}: ${message}`, {
    location: { file, jsonPath },
    hint:
      hint ??
      'a weights file is {"profiles": {"<risk profile>": {"assets": [{"Symbol", "Weight", "Net_Weight", "Direction"}]}}}',
  });
}

function parseRow(file: string, path: string, raw: unknown, atoms: boolean): AtomWeight {
  if (!isObject(raw)) throw formatError(file, path, 'must be an object');
  const symbol = raw['Symbol'];
  if (typeof symbol !== 'string' || symbol === '')
    throw formatError(file, member(path, 'Symbol'), 'must be a non-empty string');
  const weight = raw['Weight'];
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
    throw formatError(
      file,
      member(path, 'Weight'),
      `must be a finite gross weight ≥ 0, found ${JSON.stringify(weight)}`,
      'Weight is gross (≥ 0); the sign belongs in Net_Weight',
    );
  }
  const net = raw['Net_Weight'];
  if (net !== undefined && net !== null && (typeof net !== 'number' || !Number.isFinite(net)))
    throw formatError(
      file,
      member(path, 'Net_Weight'),
      `must be a finite number, found ${JSON.stringify(net)}`,
    );
  const dir = raw['Direction'];
  let direction: Direction | undefined;
  if (dir !== undefined && dir !== null) {
    const upper = typeof dir === 'string' ? dir.toUpperCase() : undefined;
    if (upper !== 'LONG' && upper !== 'SHORT')
      throw formatError(
        file,
        member(path, 'Direction'),
        `must be "LONG" or "SHORT", found ${JSON.stringify(dir)}`,
      );
    direction = upper;
  }
  const physical = raw['Physical'];
  if (
    atoms &&
    physical !== undefined &&
    physical !== null &&
    (typeof physical !== 'string' || physical === '')
  )
    throw formatError(file, member(path, 'Physical'), 'must be a non-empty string');
  const netWeight = typeof net === 'number' ? net : undefined;
  // Direction: stated, else the sign of a non-zero net weight, else a _LONG/_SHORT suffix, else LONG.
  direction ??=
    netWeight !== undefined && netWeight !== 0
      ? netWeight < 0
        ? 'SHORT'
        : 'LONG'
      : (suffixDirection(symbol) ?? 'LONG');
  const row: AtomWeight = {
    Symbol: symbol,
    Weight: weight,
    Net_Weight: netWeight ?? (direction === 'SHORT' ? -weight : weight),
    Direction: direction,
    ...(atoms && typeof physical === 'string' ? { Physical: physical } : {}),
  };
  return row;
}

/** Parse the text of a weights file; every problem is `E_INPUT_FORMAT` naming `file` and the JSON path. */
export function parseWeightsFile(
  file: string,
  text: string,
  options: { readonly atoms: boolean },
): WeightsFile<AtomWeight> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw formatError(
      file,
      '$',
      `not valid JSON (${(error as Error).message})`,
      'the file is torn or not JSON; re-run the sleeve',
    );
  }
  if (!isObject(doc)) throw formatError(file, '$', 'must be a JSON object');
  const profiles = doc['profiles'];
  if (!isObject(profiles)) throw formatError(file, '$.profiles', 'must be an object keyed by risk profile');
  const out = new Map<string, AtomWeight[]>();
  for (const [name, entry] of Object.entries(profiles)) {
    const path = member('$.profiles', name);
    if (!isObject(entry)) throw formatError(file, path, 'must be an object with an "assets" array');
    const assets = entry['assets'];
    if (!Array.isArray(assets)) throw formatError(file, member(path, 'assets'), 'must be an array');
    out.set(
      name,
      assets.map((row: unknown, i) => parseRow(file, member(member(path, 'assets'), i), row, options.atoms)),
    );
  }
  return { file, profiles: out };
}

async function readOptional(file: string): Promise<string | undefined> {
  await assertConfined(file, 'read');
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new QuantError('E_INPUT_FORMAT', `${file}: cannot read (${(error as Error).message})`, {
      location: { file },
      cause: error,
    });
  }
}

/**
 * Physical weights of a sleeve run (`data/portfolio_flattened.json`), or null when the file is absent.
 * A missing `Net_Weight` is `Weight` signed by the direction; a missing `Direction` comes from the sign of
 * `Net_Weight` (or a `_SHORT` suffix when the net is absent or 0). Symbols are kept as written.
 */
export async function readPhysicalWeights(runPath: string): Promise<WeightsFile<PhysicalWeight> | null> {
  const file = join(runPath, PHYSICAL_WEIGHTS_FILE);
  const text = await readOptional(file);
  if (text === undefined) return null;
  const parsed = parseWeightsFile(file, text, { atoms: false });
  return parsed;
}

/** Logic-atom weights (`data/portfolio_optimized_v2.json`, optional), same rules; atoms keep `Physical`. */
export async function readAtomWeights(runPath: string): Promise<WeightsFile<AtomWeight> | null> {
  const file = join(runPath, ATOM_WEIGHTS_FILE);
  const text = await readOptional(file);
  return text === undefined ? null : parseWeightsFile(file, text, { atoms: true });
}
