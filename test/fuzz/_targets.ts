// Fuzz targets: the readers of user files. Each takes raw bytes and may succeed or throw a QuantError that
// names the file; anything else (a TypeError, a RangeError, an unnamed error, a broken invariant) is a bug.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QuantError, isQuantError } from '../../src/errors.js';
import { encodeParquetTable, parseCsvTable, parseParquetTable } from '../../src/artifacts/index.js';
import { parseWeightsFile } from '../../src/artifacts/_sleeve-weights.js';
import {
  checkLedgerText,
  hashRecordBody,
  GENESIS_PREV_HASH,
  type LedgerRecord,
} from '../../src/artifacts/ledger-verify.js';
import {
  isMetaProfile,
  parseJsonWithLocations,
  parseManifest,
  resolveMetaTree,
  resolveRiskProfiles,
  walkMetaTree,
} from '../../src/manifest/index.js';
import { tableToReturns } from '../../src/stages/_returns-table.js';
import { metaManifest } from '../helpers/meta-workspace.js';
import { mutate, prng } from './_mutate.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BAD = join(REPO, 'test', 'fixtures', 'bad');

export interface FuzzTarget {
  readonly name: string;
  /** The starting corpus: real files, valid and invalid. */
  seeds(): Uint8Array[];
  /** Restore structure that byte mutations break too often to get past the first check. */
  fixup?(input: Uint8Array, rand: () => number): Uint8Array;
  /** Runs the reader; returns the codes of the (named) errors it raised, none when it accepted the input. */
  run(input: Uint8Array): Promise<readonly string[]> | readonly string[];
}

/** A broken invariant: reported like a crash. */
class FuzzViolation extends Error {
  override name = 'FuzzViolation';
}

const text = (input: Uint8Array): string => new TextDecoder().decode(input);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function files(dir: string, ext: string): Uint8Array[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => new Uint8Array(readFileSync(join(dir, f))));
}

function head(file: string, lines: number): Uint8Array {
  return enc(readFileSync(file, 'utf8').split('\n').slice(0, lines).join('\n'));
}

/** A user-facing error must name the file it is about; returns its code. */
function expectNamed(error: unknown, file: string): string {
  if (error instanceof FuzzViolation || !isQuantError(error)) throw error;
  if (error.location?.file !== file && !error.message.includes(file))
    throw new FuzzViolation(`${error.code} does not name ${file}: ${error.message}`);
  if (error.message.trim() === '') throw new FuzzViolation(`${error.code} has an empty message`);
  return error.code;
}

function afterTable(table: ReturnType<typeof parseCsvTable>, file: string): string[] {
  if (table.dates.length === 0 || table.values.some((c) => c.length !== table.dates.length))
    throw new FuzzViolation('a table was accepted with no rows or ragged columns');
  const bad = table.dates.find((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d));
  if (bad !== undefined) throw new FuzzViolation(`accepted the malformed day ${JSON.stringify(bad)}`);
  for (let i = 1; i < table.dates.length; i++)
    if (!((table.dates[i] as string) > (table.dates[i - 1] as string)))
      throw new FuzzViolation(`dates accepted out of order: ${table.dates[i - 1]}, ${table.dates[i]}`);
  const codes: string[] = [];
  const cases = [
    { kind: 'prices', missing: 'drop_rows' },
    { kind: 'returns', missing: 'ffill' },
    { kind: 'log_returns', missing: 'drop_assets' },
  ] as const;
  for (const { kind, missing } of cases) {
    try {
      const data = tableToReturns(table, { file, kind, missing });
      for (const v of data.returns.data)
        if (!(v >= -1) || v === Infinity) throw new FuzzViolation(`a return ${v} got through the cleaning`);
    } catch (error) {
      codes.push(expectNamed(error, file));
    }
  }
  return codes;
}

function weightsDoc(): string {
  return JSON.stringify({
    profiles: {
      hrp: {
        assets: [
          { Symbol: 'CME_MINI:ES1!', Weight: 0.6, Net_Weight: 0.6, Direction: 'LONG' },
          { Symbol: 'NYMEX:CL1!_trend_SHORT', Weight: 0.4, Net_Weight: -0.4, Direction: 'SHORT' },
        ],
      },
      min_variance: { assets: [{ Symbol: 'GLD', Weight: 1 }] },
    },
  });
}

function ledgerText(): string {
  const records: LedgerRecord[] = [];
  let prev = GENESIS_PREV_HASH;
  const steps = [
    ['genesis', 'genesis', 'created'],
    ['intent', 'meta.returns', 'started'],
    ['decision', 'meta.exclude_sleeve', 'recorded'],
    ['outcome', 'meta.returns', 'success'],
  ] as const;
  steps.forEach(([type, step, status], i) => {
    const body = {
      seq: i + 1,
      ts: '2026-01-01T00:00:00Z',
      type,
      step,
      status,
      context: { run_id: 'r1' },
      data: { n: i, x: [1.5, 'a'] },
      prev_hash: prev,
    };
    const record = { ...body, hash: hashRecordBody(body) };
    records.push(record);
    prev = record.hash;
  });
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

export const TARGETS: readonly FuzzTarget[] = [
  {
    name: 'csv',
    seeds: () => [
      ...files(join(BAD, 'csv'), '.csv'),
      ...files(join(BAD, 'sleeve'), '.csv'),
      head(join(REPO, 'data', 'swx_prices.csv'), 40),
      head(join(REPO, 'data', 'gccindex_prices.csv'), 25),
    ],
    run(input) {
      let table;
      try {
        table = parseCsvTable('fuzz.csv', text(input));
      } catch (error) {
        return [expectNamed(error, 'fuzz.csv')];
      }
      return afterTable(table, 'fuzz.csv');
    },
  },
  {
    name: 'parquet',
    seeds: () => [
      ...files(join(BAD, 'parquet'), '.parquet'),
      ...files(join(BAD, 'sleeve'), '.parquet'),
      ...files(join(REPO, 'test', 'fixtures', 'parquet-foreign'), '.parquet'),
      encodeParquetTable({
        dates: ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04'],
        columns: ['A', 'B'],
        values: [Float64Array.of(100, 101, Number.NaN, 103), Float64Array.of(50, 49.5, 51, 52)],
      }),
      encodeParquetTable(
        {
          dates: ['2024-01-01', '2024-01-02', '2024-01-03'],
          columns: ['return'],
          values: [Float64Array.of(0.01, -0.02, 0.003)],
        },
        { dateType: 'string' },
      ),
    ],
    fixup(input, rand) {
      // Most byte mutations break a magic number; keep them intact most of the time to reach the footer.
      if (input.length < 12 || rand() < 0.2) return input;
      const out = Uint8Array.from(input);
      out.set(enc('PAR1'), 0);
      out.set(enc('PAR1'), out.length - 4);
      return out;
    },
    async run(input) {
      let table;
      try {
        table = await parseParquetTable('fuzz.parquet', input);
      } catch (error) {
        return [expectNamed(error, 'fuzz.parquet')];
      }
      return afterTable(table, 'fuzz.parquet');
    },
  },
  {
    name: 'manifest',
    seeds: () => [
      ...files(join(BAD, 'manifest'), '.json'),
      enc(JSON.stringify(metaManifest(), null, 2)),
      ...files(join(REPO, 'examples', 'demo'), '.json'),
    ],
    run(input) {
      const file = 'manifest.json';
      let manifest;
      const source = text(input);
      try {
        manifest = parseManifest(source, file);
      } catch (error) {
        return [expectNamed(error, file)];
      }
      const { lineOf } = parseJsonWithLocations(source, file);
      const codes: string[] = [];
      for (const [name, profile] of Object.entries(manifest.profiles)) {
        if (!isMetaProfile(profile)) continue;
        try {
          const root = resolveMetaTree(manifest, name, { file, lineOf });
          if (walkMetaTree(root).some((n) => n.depth > 4))
            throw new FuzzViolation('a tree deeper than 4 was accepted');
          resolveRiskProfiles(root, manifest);
        } catch (error) {
          codes.push(expectNamed(error, file));
        }
      }
      return codes;
    },
  },
  {
    name: 'weights',
    seeds: () => [...files(join(BAD, 'sleeve'), '.json'), enc(weightsDoc())],
    run(input) {
      const file = 'portfolio_flattened.json';
      try {
        const parsed = parseWeightsFile(file, text(input), { atoms: true });
        for (const rows of parsed.profiles.values()) {
          for (const r of rows) {
            const ok =
              r.Symbol !== '' &&
              Number.isFinite(r.Weight) &&
              r.Weight >= 0 &&
              Number.isFinite(r.Net_Weight) &&
              (r.Direction === 'LONG' || r.Direction === 'SHORT');
            if (!ok) throw new FuzzViolation(`accepted the row ${JSON.stringify(r)}`);
          }
        }
        return [];
      } catch (error) {
        return [expectNamed(error, file)];
      }
    },
  },
  {
    name: 'ledger',
    seeds: () => [enc(ledgerText()), ...files(join(BAD, 'sleeve'), '.json').slice(0, 1)],
    run(input) {
      const source = text(input);
      const { verdict, records } = checkLedgerText(source);
      const lines = source.split('\n').length;
      if (verdict.ok !== (verdict.firstBroken === undefined)) throw new FuzzViolation('verdict inconsistent');
      if (records.length !== verdict.records) throw new FuzzViolation('record count inconsistent');
      if (
        verdict.firstBroken !== undefined &&
        (verdict.firstBroken.line < 1 || verdict.firstBroken.line > lines)
      )
        throw new FuzzViolation(`broken line ${verdict.firstBroken.line} outside 1..${lines}`);
      // An intact chain is exactly its records, re-serialised: nothing unverified slipped through.
      if (
        verdict.ok &&
        records.map((r) => `${JSON.stringify(r)}\n`).join('') !==
          (source.endsWith('\n') ? source : `${source}\n`)
      )
        throw new FuzzViolation('an intact verdict for text that is not its records');
      return verdict.ok ? [] : ['broken'];
    },
  },
];

export function targetByName(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (t === undefined)
    throw new QuantError(
      'E_USAGE',
      `unknown fuzz target ${name}; targets: ${TARGETS.map((x) => x.name).join(', ')}`,
    );
  return t;
}

/**
 * The inputs of a fuzz run: the corpus itself first, then mutants of it. Deterministic in the seed, so
 * input #i of a run can be replayed (`node --import tsx test/fuzz/run.ts --replay <target>:<seed>:<i>`).
 */
export function* fuzzInputs(target: FuzzTarget, seed: number): Generator<Uint8Array> {
  const corpus = target.seeds();
  const rand = prng(seed);
  for (let i = 0; ; i++) {
    if (i < corpus.length) {
      yield corpus[i] as Uint8Array;
      continue;
    }
    const input = mutate(corpus[Math.floor(rand() * corpus.length)] as Uint8Array, rand, corpus);
    yield target.fixup === undefined ? input : target.fixup(input, rand);
  }
}
