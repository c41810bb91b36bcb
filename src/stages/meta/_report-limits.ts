/**
 * The report's limits table: every limit of the root and of each nested level for one risk profile, from
 * the levels' `meta_optimized` files (their `limits` rows and their box) and, for each level's exposure
 * caps, that level's flattened portfolio (`portfolio_optimized_meta_{S}_{P}.json`, which meta.flatten
 * writes for nested levels too). Binding is decided here, the same way for every row (1e-9).
 */
import { join } from 'node:path';
import type { LimitRow, LimitsSection } from '../../report/index.js';
import { metaArtifactPaths } from './_artifact-types.js';
import { LIMIT_TOLERANCE } from './_level-limits.js';
import {
  flattenedDocSchema,
  manifestDocSchema,
  optimizedDocSchema,
  readJsonArtifact,
  type FlattenedDoc,
  type ManifestDoc,
  type OptimizedDoc,
} from './_report-docs.js';

/** DESIGN §3: nesting depth is at most 4. */
const MAX_NESTING = 4;

const ABSOLUTE_KINDS = new Set(['exposure', 'exposure_rest']);

function binds(kind: string, value: number, min: number, max: number): boolean {
  if (ABSOLUTE_KINDS.has(kind)) return Math.abs(Math.abs(value) - max) <= LIMIT_TOLERANCE;
  return Math.abs(value - min) <= LIMIT_TOLERANCE || Math.abs(value - max) <= LIMIT_TOLERANCE;
}

type Row = Omit<LimitRow, 'level' | 'profile' | 'binding'>;

/** A sleeve without its own bounds is held by the level's box. */
function boxRows(optimized: OptimizedDoc): Row[] {
  const own = new Set(optimized.limits.filter((l) => l.kind === 'sleeve').flatMap((l) => l.members));
  const { min_weight: min, max_weight: max } = optimized.bounds;
  return optimized.sleeves.flatMap((s) =>
    own.has(s.id)
      ? []
      : [{ kind: 'sleeve_box', name: `box ${s.id}`, members: [s.id], min, max, value: s.weight }],
  );
}

/**
 * A level's caps that wrote no row of `limits` (no sleeve alone could break them, so the optimizer had no
 * constraint to add), from the level's flattened portfolio (its positions as a share of the level): each
 * symbol cap and prefix cap with the net weight it holds (0 for a symbol not held), then the default cap
 * on every other held symbol as one row, the largest |net| among them listed first. Every limit thus
 * shows, and every held symbol is counted once.
 */
function capRows(optimized: OptimizedDoc, flattened: FlattenedDoc | undefined): Row[] {
  const caps = optimized.exposure_caps;
  if (caps === undefined || flattened === undefined) return [];
  const recorded = optimized.limits.filter((l) => l.kind === 'exposure');
  const named = new Set(recorded.map((l) => l.name));
  const capped = new Set(recorded.filter((l) => !l.name.startsWith('prefix ')).flatMap((l) => l.members));
  const net = new Map(flattened.assets.map((a) => [a.Symbol, a.Net_Weight]));
  const rows: Row[] = [];
  for (const [symbol, cap] of Object.entries(caps.symbols ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    capped.add(symbol);
    if (named.has(`cap ${symbol}`)) continue;
    const value = net.get(symbol) ?? 0;
    rows.push({ kind: 'exposure', name: `cap ${symbol}`, members: [symbol], min: -cap, max: cap, value });
  }
  for (const [prefix, cap] of Object.entries(caps.prefixes ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (named.has(`prefix ${prefix}`)) continue;
    const held = flattened.assets.filter((a) => a.Symbol.startsWith(prefix));
    const value = held.reduce((s, a) => s + a.Net_Weight, 0);
    const members = held.map((a) => a.Symbol);
    rows.push({ kind: 'exposure', name: `prefix ${prefix}`, members, min: -cap, max: cap, value });
  }
  const cap = caps.max_weight;
  const rest = flattened.assets.filter((a) => !capped.has(a.Symbol));
  if (cap === undefined || rest.length === 0) return rows;
  const largest = rest.reduce((m, a) => (Math.abs(a.Net_Weight) > Math.abs(m.Net_Weight) ? a : m));
  const others = rest.filter((a) => a !== largest).map((a) => a.Symbol);
  return [
    ...rows,
    {
      kind: 'exposure_rest',
      name: 'cap other symbols',
      members: [largest.Symbol, ...others],
      min: -cap,
      max: cap,
      value: largest.Net_Weight,
    },
  ];
}

/** One level's rows in table order: sleeve ranges in sleeve order, groups, caps, then other kinds. */
function levelRows(level: string, profile: string, optimized: OptimizedDoc, rest: Row[]): LimitRow[] {
  const order = ['sleeve', 'group', 'exposure'];
  const sleeveOrder = new Map(optimized.sleeves.map((s, i) => [s.id, i]));
  const sleeves = [...boxRows(optimized), ...optimized.limits.filter((l) => l.kind === 'sleeve')].sort(
    (a, b) => (sleeveOrder.get(a.members[0] ?? '') ?? 0) - (sleeveOrder.get(b.members[0] ?? '') ?? 0),
  );
  const others = optimized.limits.filter((l) => l.kind !== 'sleeve');
  const rank = (k: string): number => (order.includes(k) ? order.indexOf(k) : order.length);
  const sorted = [...others].sort((a, b) => rank(a.kind) - rank(b.kind));
  const known = sorted.filter((l) => rank(l.kind) <= 2);
  const later = sorted.filter((l) => rank(l.kind) > 2);
  return [...sleeves, ...known, ...rest, ...later].map((r) => ({
    level,
    profile,
    kind: r.kind,
    name: r.name,
    members: [...r.members],
    min: r.min,
    max: r.max,
    value: r.value,
    binding: binds(r.kind, r.value, r.min, r.max),
  }));
}

/** Where the run is and how the report records what it reads. */
export interface LimitsRun {
  readonly runDir: string;
  readonly metaProfile: string;
  recordInput(path: string): void;
}

/** The root level's documents, already read. */
export interface RootDocs {
  readonly optimized: OptimizedDoc;
  readonly manifest: ManifestDoc | undefined;
  readonly flattened: FlattenedDoc | undefined;
}

/** The limits of the root, then of every nested level below it (depth first, through the meta manifests). */
export async function loadLimitsSection(
  o: LimitsRun,
  riskProfile: string,
  root: RootDocs,
): Promise<LimitsSection> {
  const rows = levelRows('', o.metaProfile, root.optimized, capRows(root.optimized, root.flattened));
  const omitted: string[] = [];
  const visit = async (manifest: ManifestDoc, prefix: readonly string[], seen: ReadonlySet<string>) => {
    for (const inc of manifest.included) {
      // Cycles are rejected when the manifest is loaded; the guard only keeps a hand-edited artifact finite.
      if (inc.kind !== 'meta' || seen.has(inc.profile) || prefix.length >= MAX_NESTING) continue;
      const paths = metaArtifactPaths(inc.profile, riskProfile);
      const optimized = await readJsonArtifact(
        join(o.runDir, paths.optimized),
        paths.optimized,
        optimizedDocSchema,
      );
      if (optimized === undefined) {
        omitted.push(paths.optimized);
        continue;
      }
      o.recordInput(join(o.runDir, paths.optimized));
      const path = [...prefix, inc.id];
      // The level's caps are held against its own flattened portfolio, as at the root.
      let flattened: FlattenedDoc | undefined;
      if (optimized.exposure_caps !== undefined) {
        const file = join(o.runDir, paths.flattened);
        flattened = await readJsonArtifact(file, paths.flattened, flattenedDocSchema);
        if (flattened === undefined) omitted.push(paths.flattened);
        else o.recordInput(file);
      }
      rows.push(...levelRows(path.join('/'), inc.profile, optimized, capRows(optimized, flattened)));
      const sub = await readJsonArtifact(join(o.runDir, paths.manifest), paths.manifest, manifestDocSchema);
      if (sub !== undefined) await visit(sub, path, new Set([...seen, inc.profile]));
    }
  };
  if (root.manifest !== undefined) await visit(root.manifest, [], new Set([o.metaProfile]));
  return { rows, tolerance: LIMIT_TOLERANCE, omitted };
}
