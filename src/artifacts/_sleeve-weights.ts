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
import { memoOnce, readOnce } from './read-once.js';

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
function suffixDirection(id: string): Direction | undefined {
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
    // The predecessor's flattener writes FLAT for a symbol whose atoms net to exactly zero.
    const flat = upper === 'FLAT' && !atoms && (net === undefined || net === null || net === 0);
    if (upper !== 'LONG' && upper !== 'SHORT' && !flat)
      throw formatError(
        file,
        member(path, 'Direction'),
        upper === 'FLAT'
          ? `is "FLAT" but Net_Weight is ${JSON.stringify(net)}; FLAT means a net weight of 0`
          : `must be "LONG" or "SHORT"${atoms ? '' : ' (or "FLAT" with Net_Weight 0)'}, found ${JSON.stringify(dir)}`,
      );
    direction = flat ? 'LONG' : (upper as Direction);
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
  if (atoms) return atomRow(symbol, weight, direction, netWeight, physical);
  // Direction: stated, else the sign of a non-zero net weight, else a _LONG/_SHORT suffix, else LONG.
  direction ??=
    netWeight !== undefined && netWeight !== 0
      ? netWeight < 0
        ? 'SHORT'
        : 'LONG'
      : (suffixDirection(symbol) ?? 'LONG');
  return {
    Symbol: symbol,
    Weight: weight,
    Net_Weight: netWeight ?? (direction === 'SHORT' ? -weight : weight),
    Direction: direction,
  };
}

/**
 * A logic atom's physical exposure. The `_LONG` / `_SHORT` suffix of the atom id decides the direction,
 * as the predecessor's own audit does: the predecessor optimises a SHORT atom as a synthetic long and
 * writes it as `Direction: "LONG"` with a non-negative weight (metafolio writes `"SHORT"` and a negative
 * `Net_Weight`); both mean a short of the physical asset. Without a suffix: the stated direction, else
 * the sign of a non-zero `Net_Weight`, else LONG. `Net_Weight` becomes the signed physical exposure
 * ±`Weight`, whatever sign the file gave it.
 */
function atomRow(
  symbol: string,
  weight: number,
  stated: Direction | undefined,
  net: number | undefined,
  physical: unknown,
): AtomWeight {
  const direction =
    suffixDirection(symbol) ??
    stated ??
    (net !== undefined && net !== 0 ? (net < 0 ? 'SHORT' : 'LONG') : 'LONG');
  return {
    Symbol: symbol,
    Weight: weight,
    Net_Weight: direction === 'SHORT' && weight !== 0 ? -weight : weight,
    Direction: direction,
    ...(typeof physical === 'string' ? { Physical: physical } : {}),
  };
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
    const bytes = await readOnce(file, () => readFile(file));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
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
 * The weights file `file` parsed, or null when it is absent; parsed once per run while the file is
 * unchanged (read-once.ts), so its rows are frozen: the value is shared by every reader of the run.
 */
async function readWeightsFile<T extends PhysicalWeight>(
  file: string,
  atoms: boolean,
): Promise<WeightsFile<T> | null> {
  await assertConfined(file, 'read'); // on every call: a stored value is handed out only past this check
  return memoOnce(file, atoms ? 'weights:atoms' : 'weights:physical', async () => {
    const text = await readOptional(file);
    if (text === undefined) return null;
    const parsed = parseWeightsFile(file, text, { atoms });
    for (const rows of parsed.profiles.values()) {
      for (const row of rows) Object.freeze(row);
      Object.freeze(rows);
    }
    return parsed as unknown as WeightsFile<T>;
  });
}

/**
 * Physical weights of a sleeve run (`data/portfolio_flattened.json`), or null when the file is absent.
 * A missing `Net_Weight` is `Weight` signed by the direction; a missing `Direction` comes from the sign of
 * `Net_Weight` (or a `_SHORT` suffix when the net is absent or 0). Symbols are kept as written.
 */
export async function readPhysicalWeights(runPath: string): Promise<WeightsFile<PhysicalWeight> | null> {
  return readWeightsFile<PhysicalWeight>(join(runPath, PHYSICAL_WEIGHTS_FILE), false);
}

/** Logic-atom weights (`data/portfolio_optimized_v2.json`, optional), same rules; atoms keep `Physical`. */
export async function readAtomWeights(runPath: string): Promise<WeightsFile<AtomWeight> | null> {
  return readWeightsFile<AtomWeight>(join(runPath, ATOM_WEIGHTS_FILE), true);
}

/**
 * Physical weights from logic atoms, summed per physical symbol with the suffix rule of
 * {@link physicalSymbol} (so a predecessor SHORT atom written as `Direction: "LONG"` is a short):
 * `Net_Weight` = Σ signed atom weights, `Weight` = Σ atom weights (gross, as the predecessor's flattener
 * writes it), `Direction` the sign of the net. Symbols in first-appearance order.
 */
function physicalFromAtoms(atoms: readonly AtomWeight[], known?: Iterable<string>): PhysicalWeight[] {
  const known_ = known === undefined ? undefined : [...known];
  const out = new Map<string, { gross: number; net: number }>();
  for (const a of atoms) {
    const { symbol } = physicalSymbol(a.Symbol, a.Physical, known_);
    const e = out.get(symbol) ?? { gross: 0, net: 0 };
    e.gross += a.Weight;
    e.net += a.Net_Weight;
    out.set(symbol, e);
  }
  return [...out.entries()].map(([symbol, e]) => ({
    Symbol: symbol,
    Weight: e.gross,
    Net_Weight: e.net,
    Direction: e.net < 0 ? 'SHORT' : 'LONG',
  }));
}

/** The physical weights of one risk profile of a sleeve run, and where they came from. */
export interface SleeveExposure {
  readonly rows: readonly PhysicalWeight[];
  /** `flattened`: `data/portfolio_flattened.json`; `atoms`: derived from `data/portfolio_optimized_v2.json`. */
  readonly source: 'flattened' | 'atoms';
  /** Every file read. */
  readonly files: readonly string[];
  /** Atoms source: the profiles the flattened file does have. */
  readonly flattenedProfiles: readonly string[];
}

/**
 * The physical weights a meta run uses for a sleeve run and risk profile `P`: the P rows of
 * `data/portfolio_flattened.json`; when that file has no P (a predecessor run flattened only some of its
 * profiles), the P atoms of `data/portfolio_optimized_v2.json` summed per physical symbol by
 * {@link physicalFromAtoms} — the caller records that fallback. No flattened file is
 * `E_ARTIFACT_MISSING`; P in neither file is `E_WEIGHTS_PROFILE_MISSING`, naming the file, the profile,
 * the profiles it has and the fix. An empty P list is a P list (a sleeve holding nothing).
 */
export async function readSleeveExposure(runPath: string, riskProfile: string): Promise<SleeveExposure> {
  const physical = await readPhysicalWeights(runPath);
  const flattenedFile = join(runPath, PHYSICAL_WEIGHTS_FILE);
  if (physical === null) {
    throw new QuantError(
      'E_ARTIFACT_MISSING',
      `${flattenedFile} does not exist, so the sleeve's assets cannot be flattened`,
      { location: { file: flattenedFile }, hint: 're-run the sleeve or pin another run' },
    );
  }
  const have = [...physical.profiles.keys()];
  const rows = physical.profiles.get(riskProfile);
  if (rows !== undefined)
    return { rows, source: 'flattened', files: [physical.file], flattenedProfiles: have };
  const atoms = await readAtomWeights(runPath);
  const atomRows = atoms?.profiles.get(riskProfile);
  if (atoms === null || atomRows === undefined) {
    const alternatives = have.length > 0 ? ` (--profiles ${have.join(',')})` : '';
    throw new QuantError(
      'E_WEIGHTS_PROFILE_MISSING',
      `${flattenedFile} $.profiles has no risk profile "${riskProfile}" (it has ${have.length > 0 ? have.join(', ') : 'none'}) and ${ATOM_WEIGHTS_FILE} ${atoms === null ? 'does not exist' : 'has none either'}: the sleeve's ${riskProfile} exposure is unknown`,
      {
        location: {
          file: flattenedFile,
          jsonPath: `$.profiles${IDENTIFIER_RE.test(riskProfile) ? `.${riskProfile}` : `[${JSON.stringify(riskProfile)}]`}`,
        },
        hint: `re-run the sleeve with ${riskProfile}, run the meta profile without it${alternatives}, or pin a run that has it`,
        details: { risk_profile: riskProfile, available: have },
      },
    );
  }
  const known = new Set<string>();
  for (const list of physical.profiles.values()) for (const r of list) known.add(r.Symbol);
  return {
    rows: physicalFromAtoms(atomRows, known),
    source: 'atoms',
    files: [physical.file, atoms.file],
    flattenedProfiles: have,
  };
}
