/**
 * How old the data of a meta run is, and the refusal to act on data that is too old. `meta.report`
 * states the age; whatever turns a run's weights into orders calls {@link assertFresh} first.
 */
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { QuantError } from '../../errors.js';
import { dataAge, type DataAge } from '../../numeric/series/data-age.js';
import { metaArtifactPaths, RESOLVED_MANIFEST } from './_artifact-types.js';
import { ID_PATTERN } from '../../manifest/index.js';
import { readJsonArtifact } from './_report-docs.js';

/** The meta run and the level whose data is checked. */
export interface FreshnessTarget {
  /** Absolute run folder. */
  readonly runDir: string;
  readonly metaProfile: string;
  readonly riskProfile: string;
}

const calendarDocSchema = z.looseObject({
  included: z.array(
    z.looseObject({
      id: z.string(),
      kind: z.string().optional(),
      profile: z.string().optional(),
      run_id: z.string().nullable().optional(),
      last_date: z.string().optional(),
    }),
  ),
  calendar: z.looseObject({ last_date: z.string().nullable() }),
});

/** DESIGN §3: nesting depth is at most 4. */
const MAX_NESTING = 4;

/** An included sleeve of a meta manifest as {@link atomicStreams} reads it. */
export interface IncludedStream {
  readonly id: string;
  readonly kind?: string | undefined;
  readonly profile?: string | undefined;
  /** An atomic sleeve's run (its weights file holds the refit date). */
  readonly run_id?: string | null | undefined;
  readonly last_date?: string | undefined;
}

/** A sleeve run's `data/portfolio_flattened.json`, as far as its refit date goes. */
const refitDocSchema = z.looseObject({
  profiles: z.record(z.string(), z.looseObject({ as_of: z.unknown().optional() })).optional(),
});

/**
 * The date sleeve run `runId` last re-estimated the weights of risk profile P: `as_of` of P in its
 * `data/portfolio_flattened.json` (sleeve.backtest writes the start of the last walk-forward test window),
 * else of P in `data/portfolio_optimized_v2.json`; null when neither says (a predecessor run).
 */
async function refitDate(runDir: string, runId: string, riskProfile: string): Promise<string | null> {
  if (!ID_PATTERN.test(runId)) return null;
  for (const rel of ['data/portfolio_flattened.json', 'data/portfolio_optimized_v2.json']) {
    const doc = await readJsonArtifact(join(dirname(runDir), runId, rel), rel, refitDocSchema);
    const asOf =
      doc?.profiles !== undefined && Object.hasOwn(doc.profiles, riskProfile)
        ? doc.profiles[riskProfile]?.as_of
        : undefined;
    if (typeof asOf === 'string' && /^\d{4}-\d{2}-\d{2}/.test(asOf)) return asOf.slice(0, 10);
  }
  return null;
}

/**
 * Where each stream of a level ends, per atomic sleeve by its path (`mid/ga`): a nested meta sleeve is
 * replaced by the sleeves of its own meta manifest, whose inner join may end later than the level's one
 * stream shows; a nested level whose manifest is missing stays one stream. Sleeves without a last date
 * are left out. Each atomic sleeve carries its last refit date ({@link refitDate}; null when unknown,
 * and for a nested level kept as one stream).
 */
export async function atomicStreams(
  runDir: string,
  riskProfile: string,
  included: readonly IncludedStream[],
): Promise<{ readonly id: string; readonly lastDate: string; readonly refitDate: string | null }[]> {
  const out: { id: string; lastDate: string; refitDate: string | null }[] = [];
  const visit = async (
    rows: readonly IncludedStream[],
    prefix: readonly string[],
    seen: ReadonlySet<string>,
  ) => {
    for (const s of rows) {
      const id = [...prefix, s.id].join('/');
      const nested =
        s.kind === 'meta' && s.profile !== undefined && !seen.has(s.profile) && prefix.length < MAX_NESTING
          ? await nestedIncluded(runDir, s.profile, riskProfile)
          : undefined;
      if (nested !== undefined && nested.length > 0) {
        await visit(nested, [...prefix, s.id], new Set([...seen, s.profile as string]));
      } else if (s.last_date !== undefined) {
        const refit =
          s.kind !== 'meta' && typeof s.run_id === 'string'
            ? await refitDate(runDir, s.run_id, riskProfile)
            : null;
        out.push({ id, lastDate: s.last_date, refitDate: refit });
      }
    }
  };
  await visit(included, [], new Set());
  return out;
}

async function nestedIncluded(
  runDir: string,
  metaProfile: string,
  riskProfile: string,
): Promise<readonly IncludedStream[] | undefined> {
  if (!ID_PATTERN.test(metaProfile)) return undefined;
  const rel = metaArtifactPaths(metaProfile, riskProfile).manifest;
  return (await readJsonArtifact(join(runDir, rel), rel, calendarDocSchema))?.included;
}

const maxAgeDocSchema = z.looseObject({
  profiles: z
    .record(
      z.string(),
      z.looseObject({
        max_data_age_days: z.number().int().min(0).optional(),
        trades: z
          .looseObject({
            risk_profiles: z.array(z.string()).default([]),
            max_data_age_days: z.number().int().min(0).optional(),
            allow_stale: z.boolean().optional(),
            nav: z.number().optional(),
          })
          .optional(),
      }),
    )
    .default({}),
});

/**
 * The age of the data behind level (M, P) of a run, from its `meta_manifest_{M}_{P}.json`: the last
 * common date, its age against `now` and how far each included sleeve's stream ends before the others.
 *
 * @throws QuantError `E_ARTIFACT_MISSING` without the meta manifest (run meta.returns first).
 */
export async function readDataAge(run: FreshnessTarget, now: Date): Promise<DataAge> {
  const rel = metaArtifactPaths(run.metaProfile, run.riskProfile).manifest;
  const file = join(run.runDir, rel);
  const doc = await readJsonArtifact(file, rel, calendarDocSchema);
  const last = doc?.calendar.last_date ?? null;
  if (doc === undefined || last === null) {
    throw new QuantError(
      'E_ARTIFACT_MISSING',
      `the age of the data of ${run.metaProfile}/${run.riskProfile} needs ${rel}${doc === undefined ? '' : ' with a last common date'}`,
      { location: { file }, hint: 'run meta.returns for this meta and risk profile first' },
    );
  }
  return dataAge(last, await atomicStreams(run.runDir, run.riskProfile, doc.included), now);
}

/** The data-age rule the manifest sets for the trades of one risk profile. */
export interface TradesAgeRule {
  /** The limit in days (`null`: none set). */
  readonly maxAgeDays: number | null;
  /** Where the limit is set: `profiles.M.trades.max_data_age_days` or `profiles.M.max_data_age_days`. */
  readonly source: string | null;
  /** Whether the meta profile's `trades` block trades this risk profile. */
  readonly traded: boolean;
  /** The block's `allow_stale`: stale data is traded anyway (for the risk profiles it trades). */
  readonly allowStale: boolean;
}

/**
 * The limit `meta.trades` applies to risk profile P as the run recorded its manifest: for a risk profile
 * of the meta profile's `trades` block, the block's `max_data_age_days` (else the meta profile's) and its
 * `allow_stale` — the params `quant meta run` gives meta.trades; for any other, the meta profile's
 * `max_data_age_days`, which `quant trades` applies unless given another.
 */
export async function recordedTradesAgeRule(
  runDir: string,
  metaProfile: string,
  riskProfile: string,
): Promise<TradesAgeRule> {
  const doc = await readJsonArtifact(join(runDir, RESOLVED_MANIFEST), RESOLVED_MANIFEST, maxAgeDocSchema);
  const profile =
    doc === undefined || !Object.hasOwn(doc.profiles, metaProfile) ? undefined : doc.profiles[metaProfile];
  const block = profile?.trades;
  const traded = block?.risk_profiles.includes(riskProfile) === true;
  const fromBlock = traded ? block?.max_data_age_days : undefined;
  const key = `profiles.${metaProfile}`;
  if (fromBlock !== undefined) {
    return {
      maxAgeDays: fromBlock,
      source: `${key}.trades.max_data_age_days`,
      traded,
      allowStale: block?.allow_stale === true,
    };
  }
  const own = profile?.max_data_age_days;
  return {
    maxAgeDays: own ?? null,
    source: own === undefined ? null : `${key}.max_data_age_days`,
    traded,
    allowStale: traded && block?.allow_stale === true,
  };
}

/**
 * Where the NAV of meta.trades for risk profile P comes from, as the run recorded its manifest: the JSON
 * path of the meta profile's `trades.nav` when the block trades P with this very NAV (what `quant meta run`
 * gives meta.trades), else `undefined` (the NAV was given to this call, `--nav`).
 */
export async function recordedTradesNavPath(
  runDir: string,
  metaProfile: string,
  riskProfile: string,
  nav: number,
): Promise<string | undefined> {
  const doc = await readJsonArtifact(join(runDir, RESOLVED_MANIFEST), RESOLVED_MANIFEST, maxAgeDocSchema);
  const block =
    doc === undefined || !Object.hasOwn(doc.profiles, metaProfile)
      ? undefined
      : doc.profiles[metaProfile]?.trades;
  if (block?.risk_profiles.includes(riskProfile) !== true || block.nav !== nav) return undefined;
  return `profiles.${metaProfile}.trades.nav`;
}

/** The verdict of {@link assertFresh}. */
export interface Freshness extends DataAge {
  /** The limit applied (`null`: none set, nothing refused). */
  readonly maxAgeDays: number | null;
  /** Whether `ageDays` exceeds the limit. */
  readonly stale: boolean;
  /** A stale result that was let through by `allowStale`. */
  readonly overridden: boolean;
}

/**
 * Refuse data that is too old to act on: `E_STALE_DATA` when the last common date of level (M, P) is
 * more than `maxAgeDays` days before `now`. Pass the run's clock as `now` (SOURCE_DATE_EPOCH when set)
 * so the verdict is reproducible. `maxAgeDays` undefined → the limit the run's recorded manifest sets
 * for these trades ({@link recordedTradesAgeRule}: the trades block's for a risk profile it trades, else
 * the meta profile's); none set → no limit. `allowStale` lets stale data through and says so in the
 * result (record it).
 */
export async function assertFresh(
  run: FreshnessTarget,
  maxAgeDays: number | undefined,
  now: Date,
  options: { readonly allowStale?: boolean } = {},
): Promise<Freshness> {
  const age = await readDataAge(run, now);
  // The limit the manifest sets for these trades: the trades block's for a risk profile it trades (what
  // meta.trades in `quant meta run` applies), else the meta profile's.
  const rule =
    maxAgeDays === undefined
      ? await recordedTradesAgeRule(run.runDir, run.metaProfile, run.riskProfile)
      : undefined;
  const limit = maxAgeDays ?? rule?.maxAgeDays ?? null;
  if (limit !== null && (!Number.isInteger(limit) || limit < 0)) {
    throw new QuantError('E_USAGE', `the maximum data age must be a whole number of days ≥ 0, got ${limit}`);
  }
  const stale = limit !== null && age.ageDays > limit;
  if (stale && options.allowStale !== true) {
    const lagging = age.streams.filter((s) => s.lagDays > 0);
    throw new QuantError(
      'E_STALE_DATA',
      `the data of ${run.metaProfile}/${run.riskProfile} ends ${age.lastDate}, ${age.ageDays} days before ${age.asOf}; max_data_age_days is ${limit}${lagging.length > 0 ? ` (lagging: ${lagging.map((s) => `${s.id} ${s.lagDays} d`).join(', ')})` : ''}`,
      {
        hint: `re-run the sleeves and the meta run on newer data, raise ${
          rule?.source != null ? rule.source : 'the limit given (--max-data-age-days)'
        }, or pass --allow-stale to act on it anyway`,
        details: {
          last_date: age.lastDate,
          as_of: age.asOf,
          age_days: age.ageDays,
          max_data_age_days: limit,
        },
      },
    );
  }
  return { ...age, maxAgeDays: limit, stale, overridden: stale };
}
