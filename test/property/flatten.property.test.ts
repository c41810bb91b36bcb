// Property test of meta.flatten (flattenLevel, with its real file reads and writes in a temp folder): for
// random trees of meta levels (nested up to depth 3) with random sleeve weights — some sleeves excluded —
// and random signed physical weights per atomic sleeve (shared symbols included), the flattened net weight
// of every symbol is Σ over the atomic sleeves of (product of the sleeve weights along its path) × its net
// weight: flattening conserves Σ sleeve weight × sleeve net exposure, to 1e-12. Symbols whose net is below
// 1e-9 are dropped and nothing is renormalised; gross = |net|; contributors add up to the net.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { StageContext } from '../../src/core/stage.js';
import type { MetaNode, MetaSleeve } from '../../src/manifest/index.js';
import { writeJsonAtomic } from '../../src/artifacts/index.js';
import { flattenLevel, NET_EPSILON } from '../../src/stages/meta/_flatten-level.js';
import { metaArtifactPaths } from '../../src/stages/meta/_artifact-types.js';
import type { ResolvedMeta } from '../../src/stages/meta/_resolve.js';

const P = 'hrp';

interface Row {
  readonly symbol: string;
  readonly net: number;
  readonly format: (typeof FORMATS)[number];
}
interface Level {
  readonly sleeves: readonly (Level | Row[])[];
  /** Raw sleeve weights (normalised over the included sleeves). */
  readonly raw: readonly number[];
  /** Which sleeves the level excluded (no weight, not flattened). */
  readonly excluded: readonly boolean[];
}

/** How a sleeve's weights file states a row: the signed net, the direction alone, or both. */
const FORMATS = ['net', 'direction', 'both'] as const;

// Net weights on a 0.001 grid in [−1, 1] without 0: integer-scaled, so shorts and longs are equally
// likely and none is a subnormal that the 1e-9 cut-off would silently drop.
const rows = fc.array(
  fc.record({
    symbol: fc.constantFrom('ES', 'CL', 'GC', 'TLT', 'SHARED'),
    net: fc.integer({ min: -1000, max: 999 }).map((k) => (k >= 0 ? k + 1 : k) / 1000),
    format: fc.constantFrom(...FORMATS),
  }),
  { minLength: 1, maxLength: 5 },
);

const { level } = fc.letrec<{ level: Level }>((tie) => ({
  level: fc
    .array(fc.oneof({ depthSize: 'small', maxDepth: 2 }, rows, tie('level')), { minLength: 1, maxLength: 4 })
    .chain((sleeves) =>
      fc.record({
        sleeves: fc.constant(sleeves),
        raw: fc.array(
          fc.integer({ min: 1, max: 100 }).map((k) => k / 100),
          { minLength: sleeves.length, maxLength: sleeves.length },
        ),
        excluded: fc.array(fc.boolean(), { minLength: sleeves.length, maxLength: sleeves.length }),
      }),
    ),
}));

const RUNS = { numRuns: 60, seed: 20260317 };

/** The spread of the generated trees, printed with the test output. */
function classify(root: Level): string[] {
  let depth = 0;
  let rowsSeen = 0;
  let shorts = 0;
  let excluded = 0;
  const walk = (lv: Level, d: number): void => {
    depth = Math.max(depth, d);
    lv.excluded.forEach((e) => (excluded += e ? 1 : 0));
    for (const s of lv.sleeves) {
      if (Array.isArray(s)) {
        rowsSeen += s.length;
        shorts += s.filter((r) => r.net < 0).length;
      } else walk(s, d + 1);
    }
  };
  walk(root, 1);
  const share = rowsSeen === 0 ? 0 : shorts / rowsSeen;
  return [
    `depth ${depth}`,
    `short rows ${share === 0 ? 'none' : share < 0.34 ? '< 1/3' : share < 0.67 ? '1/3–2/3' : '≥ 2/3'}`,
    `excluded sleeves ${excluded === 0 ? 'none' : excluded === 1 ? '1' : '≥ 2'}`,
  ];
}

describe('meta.flatten properties', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'quant-flatten-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('conserves Σ sleeve weight × sleeve net exposure per symbol, through nested levels', async (t) => {
    let caseNo = 0;
    let shortRows = 0; // short rows of weighted sleeves
    let checked = 0; // symbols whose net, sign and contributors were checked
    let shortChecked = 0; // of them, net short
    await fc.assert(
      fc.asyncProperty(level, async (root) => {
        const runDir = join(dir, `case${++caseNo}`);
        const expected = new Map<string, number>();
        const contributors = new Map<string, Map<string, number>>();
        const sleeveRuns = new Map<string, string>();

        // Write every level's optimized weights and every atomic sleeve's weights file; build the tree.
        const build = async (lv: Level, name: string, prefix: string[], scale: number): Promise<MetaNode> => {
          const included = lv.sleeves.map((_, j) => !lv.excluded[j]);
          const total = lv.raw.reduce((s, w, j) => (included[j] ? s + w : s), 0);
          const weights: Record<string, number> = {};
          const sleeves: MetaSleeve[] = [];
          for (const [j, s] of lv.sleeves.entries()) {
            const id = `s${j}`;
            const path = [...prefix, id];
            const w = included[j] && total > 0 ? (lv.raw[j] as number) / total : undefined;
            if (w !== undefined) weights[id] = w;
            if (Array.isArray(s)) {
              const run = join(dir, 'runs', `case${caseNo}_${path.join('_')}`);
              sleeveRuns.set(path.join('/'), run);
              await writeJsonAtomic(join(run, 'data', 'portfolio_flattened.json'), {
                profiles: {
                  [P]: {
                    assets: s.map((r) => ({
                      Symbol: r.symbol,
                      Weight: Math.abs(r.net),
                      ...(r.format === 'direction' ? {} : { Net_Weight: r.net }),
                      ...(r.format === 'net' ? {} : { Direction: r.net < 0 ? 'SHORT' : 'LONG' }),
                    })),
                  },
                },
              });
              if (w !== undefined && scale > 0) {
                for (const r of s) {
                  const amount = scale * w * r.net;
                  expected.set(r.symbol, (expected.get(r.symbol) ?? 0) + amount);
                  const byPath = contributors.get(r.symbol) ?? new Map<string, number>();
                  byPath.set(path.join('/'), (byPath.get(path.join('/')) ?? 0) + amount);
                  contributors.set(r.symbol, byPath);
                  if (r.net < 0) shortRows++;
                }
              }
              sleeves.push({ id, kind: 'atomic', profile: `p_${path.join('_')}` });
            } else {
              const node = await build(s, `${name}_${j}`, path, scale * (w ?? 0));
              sleeves.push({ id, kind: 'meta', node });
            }
          }
          await writeJsonAtomic(join(runDir, metaArtifactPaths(name, P).optimized), { weights });
          return { profile: name, path: [name], depth: prefix.length + 1, sleeves } as unknown as MetaNode;
        };
        const node = await build(root, 'm', [], 1);
        const ctx = {
          runId: `case${caseNo}`,
          runDir,
          workspace: dir,
          recordInput: () => undefined,
          recordOutput: () => undefined,
        } as unknown as StageContext;
        const resolved = {
          sleeveRunPath: (path: readonly string[]) => sleeveRuns.get(path.join('/')),
          sleeve: (path: readonly string[]) => ({ run_id: path.join('/') }),
        } as unknown as ResolvedMeta;
        const doc = await flattenLevel({ ctx, resolved, riskProfile: P }, node, []);

        assert.deepEqual(doc.weights_fallbacks, [], 'doc.weights_fallbacks');
        const got = new Map(doc.assets.map((a) => [a.Symbol, a]));
        for (const [symbol, net] of expected) {
          const a = got.get(symbol);
          if (Math.abs(Math.abs(net) - NET_EPSILON) < 1e-12) continue; // on the cut-off: either is right
          if (Math.abs(net) < NET_EPSILON) {
            assert.equal(a, undefined, `${symbol}: |net| ${net} below the cut-off is kept`);
            continue;
          }
          assert.ok(a !== undefined, `${symbol} (net ${net}) missing`);
          assert.ok(Math.abs(a.Net_Weight - net) <= 1e-12, `${symbol}: ${a.Net_Weight} vs ${net}`);
          assert.equal(a.Weight, Math.abs(a.Net_Weight), 'a.Weight');
          assert.equal(a.Direction, a.Net_Weight < 0 ? 'SHORT' : 'LONG', 'a.Direction');
          const contributed = Object.values(a.Contributors).reduce((s, v) => s + v, 0);
          assert.ok(Math.abs(contributed - a.Net_Weight) <= 1e-12, `${symbol}: contributors ${contributed}`);
          const want = contributors.get(symbol) ?? new Map<string, number>();
          assert.deepEqual(
            Object.keys(a.Contributors).sort(),
            [...want.keys()].sort(),
            `${symbol}: one contributor per weighted sleeve path holding it`,
          );
          for (const [path, v] of want) {
            assert.ok(
              Math.abs((a.Contributors[path] ?? NaN) - v) <= 1e-12,
              `${symbol}: contributor ${path} ${a.Contributors[path]} vs ${v} (signed)`,
            );
          }
          checked++;
          if (net < 0) shortChecked++;
        }
        for (const symbol of got.keys()) assert.ok(expected.has(symbol), `${symbol} appeared from nowhere`);
        // Conservation of the total, up to the rows dropped below the cut-off; no renormalisation.
        const total = [...expected.values()].reduce((s, v) => s + v, 0);
        assert.ok(
          Math.abs(doc.totals.net - total) <= expected.size * NET_EPSILON + 1e-12,
          `net ${doc.totals.net} vs ${total}`,
        );
        const gross = doc.assets.reduce((s, a) => s + a.Weight, 0);
        assert.ok(Math.abs(doc.totals.gross - gross) <= 1e-12, 'doc.totals.gross ≈ gross within 1e-12');
      }),
      RUNS,
    );
    t.diagnostic(
      `${caseNo} trees: ${shortRows} short rows in weighted sleeves; ${checked} symbols checked, ${shortChecked} of them net short`,
    );
    fc.statistics(level, classify, { ...RUNS, logger: (line) => t.diagnostic(line) });
    // The property must reach its branches: most checked symbols are not below the cut-off, and a fair
    // share of them is short (a change that ignores the sign of shorts then fails).
    assert.ok(checked >= 1.5 * caseNo, `only ${checked} symbols checked in ${caseNo} trees`);
    assert.ok(
      shortChecked >= 0.25 * checked,
      `only ${shortChecked} of ${checked} checked symbols are net short`,
    );
  });
});
