import { isRecord, type JsonPath } from './_json-path.js';
import { didYouMean } from '../util/suggest.js';
import { guessKindKey } from './schema.js';

/** A problem found by a whole-manifest check: where (JSON path) and what. */
export interface RawProblem {
  readonly path: JsonPath;
  readonly message: string;
  /** The code of a condition that has its own (a cycle: `E_CYCLE`); `E_MANIFEST` otherwise. */
  readonly code?: 'E_CYCLE';
}

interface RefEdge {
  readonly to: string;
  readonly entry: number;
  /** The key holding the profile's sleeve entries (`sleeves`, or a misspelling of it). */
  readonly key: string;
}

/**
 * Checks that need the whole manifest: `profile` / `meta_profile` references and cycles of nested meta
 * profiles. Runs on the raw JSON (defensively) so that it still reports when some profile failed its
 * schema; a profile's kind is read from its keys (`sleeves` = meta, `sleeve` = sleeve profile).
 * A `profile` naming a profile absent from the manifest is allowed: such sleeve runs are produced
 * elsewhere and found in the workspace's runs by profile name.
 */
export function crossCheckManifest(doc: unknown): RawProblem[] {
  if (!isRecord(doc) || !isRecord(doc['profiles'])) return [];
  const profiles = doc['profiles'];
  const metaNames: string[] = [];
  const sleeveNames = new Set<string>();
  const entriesKey = new Map<string, string>();
  for (const [name, profile] of Object.entries(profiles)) {
    if (!isRecord(profile)) continue;
    const isMeta = 'sleeves' in profile;
    const isSleeve = 'sleeve' in profile;
    // A misspelt kind key (`sleves`) still tells the kind, so its references are checked too.
    const guess = isMeta || isSleeve ? undefined : guessKindKey(profile);
    if (isMeta && !isSleeve) metaNames.push(name);
    else if (isSleeve && !isMeta) sleeveNames.add(name);
    else if (guess?.kind === 'sleeves') metaNames.push(name);
    else if (guess?.kind === 'sleeve') sleeveNames.add(name);
    entriesKey.set(name, guess?.kind === 'sleeves' ? guess.key : 'sleeves');
  }
  const metas = new Set(metaNames);
  const problems: RawProblem[] = [];
  const edges = new Map<string, RefEdge[]>();

  for (const name of metaNames) {
    const key = entriesKey.get(name) ?? 'sleeves';
    const entries = (profiles[name] as Record<string, unknown>)[key];
    const out: RefEdge[] = [];
    edges.set(name, out);
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry: unknown, j) => {
      if (!isRecord(entry)) return;
      const at = (field: string): JsonPath => ['profiles', name, key, j, field];
      const metaRef = entry['meta_profile'];
      const sleeveRef = entry['profile'];
      if (typeof metaRef === 'string') {
        if (metas.has(metaRef)) out.push({ to: metaRef, entry: j, key });
        else if (sleeveNames.has(metaRef)) {
          problems.push({
            path: at('meta_profile'),
            message: `"${metaRef}" is a sleeve profile, not a meta profile: write "profile": "${metaRef}"`,
          });
        } else {
          const close = didYouMean(metaRef, metaNames);
          const known =
            metaNames.length === 0 ? 'the manifest declares none' : `declared: ${metaNames.join(', ')}`;
          problems.push({
            path: at('meta_profile'),
            message: `meta profile "${metaRef}" is not in the manifest${close === '' ? ` (${known})` : close}`,
          });
        }
      }
      if (typeof sleeveRef === 'string' && metas.has(sleeveRef)) {
        problems.push({
          path: at('profile'),
          message: `"${sleeveRef}" is a meta profile: nest it with "meta_profile": "${sleeveRef}" instead of "profile"`,
        });
      }
    });
  }
  problems.push(...findCycles(metaNames, edges));
  return problems;
}

/**
 * Every cycle of nested meta profiles, by depth-first search in manifest order: each back edge closes
 * one cycle, reported at the entry that closes it. Self-nesting (`a → a`) is a cycle of one.
 */
function findCycles(order: readonly string[], edges: ReadonlyMap<string, readonly RefEdge[]>): RawProblem[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const problems: RawProblem[] = [];
  const visit = (name: string): void => {
    state.set(name, 'open');
    stack.push(name);
    for (const edge of edges.get(name) ?? []) {
      const s = state.get(edge.to);
      if (s === 'open') {
        const cycle = [...stack.slice(stack.indexOf(edge.to)), edge.to];
        problems.push({
          path: ['profiles', name, edge.key, edge.entry, 'meta_profile'],
          message: `meta profiles nest in a cycle: ${cycle.join(' → ')}; remove one of these nestings`,
          code: 'E_CYCLE',
        });
      } else if (s === undefined) visit(edge.to);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of order) if (!state.has(name)) visit(name);
  return problems;
}
