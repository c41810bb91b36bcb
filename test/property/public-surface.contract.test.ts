// Contract of the public entry: every function exported by src/index.ts, called with random junk (wrong
// types, missing fields, extra keys, NaN, huge and negative numbers, wrong shapes), either returns a valid
// result of its kind or throws a QuantError with a code listed in ERROR_CODES — never a TypeError, never
// undefined. A newly exported function without a contract here fails the first test.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as api from '../../src/index.js';

type Fn = (...args: unknown[]) => unknown;

const isClass = (v: unknown): boolean =>
  typeof v === 'function' && /^class\b/.test(Function.prototype.toString.call(v));

/** Junk numbers: NaN, infinities, huge, tiny, negative, and ordinary ones. */
const num = fc.oneof(
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 1e308, -1e308, 5e-324, 0, -0, -1, 252, 0.5, 2),
  fc.double(),
  fc.integer({ min: -5, max: 20 }),
);
const junk = fc.oneof(
  fc.anything(),
  num,
  fc.constantFrom(undefined, null, '', 'x', [], {}, () => 1),
);
const grid = fc
  .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 4 }))
  .chain(([r, c]) =>
    fc.array(
      fc.array(
        fc.oneof(
          { weight: 8, arbitrary: fc.double({ min: -0.2, max: 0.2, noNaN: true }) },
          { weight: 1, arbitrary: junk },
        ),
        { minLength: c, maxLength: c + (r % 2) },
      ),
      { minLength: r, maxLength: r },
    ),
  );
const returnsArg = fc.oneof(
  junk,
  grid,
  grid.map((rows) => ({ assets: (rows[0] ?? []).map((_, j) => `a${j}`), returns: rows })),
  fc.record({ assets: fc.oneof(junk, fc.array(fc.string())), returns: fc.oneof(junk, grid) }),
  fc.record({ rows: fc.oneof(num, junk), cols: fc.oneof(num, junk), data: fc.oneof(junk, fc.array(num)) }),
  grid.map((rows) => ({ rows: rows.length, cols: rows[0]?.length ?? 0, data: rows.flat() })),
);
const optionsArg = fc.oneof(
  junk,
  fc.record(
    {
      method: fc.oneof(fc.constantFrom(...api.PORTFOLIO_METHODS, 'erc', 'ercc'), junk),
      periodsPerYear: fc.oneof(num, junk),
      minWeight: fc.oneof(num, junk),
      maxWeight: fc.oneof(num, junk),
      linkage: fc.oneof(fc.constantFrom('single', 'ward', 'wart'), junk),
      covariance: fc.constantFrom('sample', 'ledoit_wolf', 'auto', 'x'),
      riskFreeRate: num,
      maxWieght: num,
    },
    { requiredKeys: ['method', 'periodsPerYear'] },
  ),
);
const stageLike = fc.oneof(
  junk,
  fc.record(
    {
      id: junk,
      name: junk,
      description: junk,
      category: fc.oneof(fc.constantFrom('portfolio', 'meta'), junk),
      tags: fc.oneof(fc.array(fc.string()), junk),
      aliases: fc.oneof(fc.array(fc.string()), junk),
      params: junk,
      output: junk,
      run: junk,
    },
    { requiredKeys: [] },
  ),
);
const pipelineLike = fc.oneof(
  junk,
  fc.record(
    { name: junk, description: junk, stages: fc.oneof(fc.array(fc.string()), junk) },
    { requiredKeys: [] },
  ),
);
const datesArg = fc.oneof(
  junk,
  fc.array(
    fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      junk,
    ),
    { maxLength: 12 },
  ),
);

/** What a valid answer of each function looks like, and the arguments to call it with. */
const CONTRACTS: Record<
  string,
  { args: fc.Arbitrary<unknown[]>; valid: (result: unknown, args: unknown[]) => string | null }
> = {
  optimizePortfolio: {
    args: fc.tuple(returnsArg, optionsArg),
    valid: (r, [, options]) => {
      const result = r as { weights?: unknown };
      const w =
        result.weights instanceof Float64Array ? [...result.weights] : Object.values(result.weights ?? {});
      const o = options as { minWeight?: number; maxWeight?: number };
      const lo = o.minWeight ?? 0;
      const hi = o.maxWeight ?? 1;
      if (w.length < 2) return `weights of ${w.length} assets`;
      if (!w.every((x) => typeof x === 'number' && Number.isFinite(x)))
        return `non-finite weights ${w.join(',')}`;
      const sum = (w as number[]).reduce((a, b) => a + b, 0);
      if (Math.abs(sum - 1) > 1e-9) return `weights sum to ${sum}`;
      if (!(w as number[]).every((x) => x >= lo - 1e-9 && x <= hi + 1e-9))
        return `weights outside [${lo}, ${hi}]`;
      return null;
    },
  },
  createRegistry: {
    args: fc.tuple(
      fc.oneof(junk, fc.array(stageLike, { maxLength: 2 })),
      fc.oneof(junk, fc.array(pipelineLike, { maxLength: 2 })),
    ),
    valid: (r) =>
      typeof (r as { listStages?: unknown }).listStages === 'function' ? null : 'not a registry',
  },
  defineStage: {
    args: fc.tuple(stageLike),
    valid: (r) =>
      Object.isFrozen(r) && typeof (r as { run?: unknown }).run === 'function' ? null : 'not a stage',
  },
  definePipeline: {
    args: fc.tuple(pipelineLike),
    valid: (r) => (Array.isArray((r as { stages?: unknown }).stages) ? null : 'not a pipeline'),
  },
  stageParamsJsonSchema: {
    args: fc.tuple(fc.oneof(stageLike, fc.constantFrom(...api.builtinStages))),
    valid: (r) => (typeof r === 'object' && r !== null ? null : 'not a JSON schema'),
  },
  inferFrequency: {
    args: fc.tuple(datesArg),
    valid: (r) => {
      const p = (r as { periodsPerYear?: unknown }).periodsPerYear;
      return typeof p === 'number' && p > 0 ? null : `periodsPerYear ${String(p)}`;
    },
  },
  estimateCovariance: {
    args: fc.tuple(
      returnsArg,
      fc.oneof(
        junk,
        fc.record(
          { estimator: fc.constantFrom('sample', 'ledoit_wolf', 'x'), periodsPerYear: num },
          { requiredKeys: ['periodsPerYear'] },
        ),
      ),
    ),
    valid: (r) => {
      const m = (r as { matrix?: unknown }).matrix;
      if (!Array.isArray(m) || m.length < 2) return 'not an n × n matrix';
      return m.every(
        (row: unknown) =>
          Array.isArray(row) &&
          row.length === m.length &&
          row.every((x: unknown) => typeof x === 'number' && Number.isFinite(x)),
      )
        ? null
        : 'a non-finite or ragged covariance';
    },
  },
  expectedReturns: {
    args: fc.tuple(
      returnsArg,
      fc.oneof(
        junk,
        fc.record(
          { method: fc.constantFrom('mean', 'cagr', 'median'), periodsPerYear: num },
          { requiredKeys: ['periodsPerYear'] },
        ),
      ),
    ),
    valid: (r) => {
      const v = (r as { values?: unknown }).values;
      return Array.isArray(v) && v.length >= 1 && v.every((x) => typeof x === 'number' && !Number.isNaN(x))
        ? null
        : 'not a list of numbers';
    },
  },
  riskContributions: {
    args: fc.tuple(fc.oneof(junk, fc.array(num, { maxLength: 4 })), fc.oneof(junk, grid)),
    valid: (r) => {
      if (!Array.isArray(r) || !r.every((x) => typeof x === 'number' && Number.isFinite(x)))
        return 'not finite numbers';
      const sum = (r as number[]).reduce((a, b) => a + b, 0);
      return Math.abs(sum - 1) < 1e-6 ? null : `contributions sum to ${sum}`;
    },
  },
  portfolioStats: {
    args: fc.tuple(
      fc.oneof(
        junk,
        fc.array(fc.oneof(num, fc.double({ min: -0.5, max: 0.5, noNaN: true })), { maxLength: 10 }),
      ),
      fc.oneof(junk, fc.record({ periodsPerYear: num })),
    ),
    valid: (r) => {
      const m = r as Record<string, unknown>;
      return Object.values(m).every((x) => x === null || typeof x === 'number')
        ? null
        : 'a statistic is neither a number nor null';
    },
  },
  hrpTree: {
    args: fc.tuple(
      fc.oneof(
        returnsArg,
        fc.record(
          {
            matrix: fc.oneof(
              junk,
              grid,
              grid.map((rows) => rows.map((row) => row.map((x) => Math.abs(Number(x))))),
            ),
            assets: fc.oneof(junk, fc.array(fc.string(), { maxLength: 5 })),
            estimator: junk,
            colour: junk,
          },
          { requiredKeys: ['matrix'] },
        ),
        // Symmetric positive semidefinite covariances built from a grid (G Gᵀ), sometimes labelled.
        grid.map((rows) => {
          const g = rows.map((row) => row.map((x) => (typeof x === 'number' && Number.isFinite(x) ? x : 0)));
          const matrix = g.map((a) => g.map((b) => a.reduce((sum, x, k) => sum + x * (b[k] ?? 0), 0)));
          return rows.length % 2 === 0 ? { matrix } : { matrix, assets: matrix.map((_, j) => `a${j}`) };
        }),
      ),
      fc.oneof(
        junk,
        fc.record(
          {
            linkage: fc.oneof(fc.constantFrom('single', 'complete', 'average', 'ward', 'wards'), junk),
            leafOrder: fc.oneof(fc.constantFrom('dendrogram', 'optimal', 'best'), junk),
            covariance: fc.oneof(fc.constantFrom('sample', 'ledoit_wolf', 'auto'), junk),
            linkag: junk,
          },
          { requiredKeys: [] },
        ),
      ),
    ),
    valid: (r) => {
      const t = r as { linkage?: unknown; order?: unknown; tree?: { count?: unknown } };
      if (!Array.isArray(t.linkage) || !Array.isArray(t.order)) return 'no linkage or order';
      const n = t.order.length;
      if (n < 2 || t.linkage.length !== n - 1) return `${t.linkage.length} merges for ${n} leaves`;
      const finite = t.linkage.every(
        (row: unknown) =>
          Array.isArray(row) &&
          row.length === 4 &&
          row.every((x: unknown) => typeof x === 'number' && Number.isFinite(x)),
      );
      if (!finite) return 'a linkage row is not 4 finite numbers';
      const sorted = [...(t.order as number[])].sort((a, b) => a - b);
      if (!sorted.every((x, j) => x === j)) return 'order is not a permutation';
      return t.tree?.count === n ? null : 'the root does not hold every leaf';
    },
  },
  isQuantError: {
    args: fc.tuple(fc.oneof(junk, fc.constant(new api.QuantError('E_PARAMS', 'x')))),
    valid: (r) => (typeof r === 'boolean' ? null : 'not a boolean'),
  },
};

const exportedFunctions = Object.entries(api)
  .filter(([, v]) => typeof v === 'function' && !isClass(v))
  .map(([name]) => name)
  .sort();

describe('public surface contract', () => {
  test('every exported function has a contract', () => {
    assert.deepEqual(exportedFunctions, Object.keys(CONTRACTS).sort(), 'add a contract for each new export');
  });

  for (const name of Object.keys(CONTRACTS)) {
    test(`${name}: a valid result or a coded QuantError, on random junk`, () => {
      const contract = CONTRACTS[name];
      assert.ok(contract !== undefined, `contract of ${name}`);
      const fn = (api as unknown as Record<string, Fn>)[name];
      assert.ok(typeof fn === 'function', `${name} is exported`);
      fc.assert(
        fc.property(contract.args, (args) => {
          let result: unknown;
          try {
            result = fn(...args);
          } catch (error) {
            assert.ok(error instanceof api.QuantError, `${name} threw ${String(error)}`);
            assert.ok(Object.hasOwn(api.ERROR_CODES, error.code), `${name}: code ${error.code} is listed`);
            assert.ok(error.message.length > 0, `${name}: the error says what is wrong`);
            return;
          }
          assert.ok(result !== undefined, `${name} returned undefined`);
          const problem = contract.valid(result, args);
          assert.equal(problem, null, `${name} returned an invalid result: ${String(problem)}`);
        }),
        { numRuns: 300, seed: 19 },
      );
    });
  }
});
