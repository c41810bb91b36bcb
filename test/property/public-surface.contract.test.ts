// Contract of the public entry: every function exported by src/index.ts, called with random junk (wrong
// types, missing fields, extra keys, NaN, huge and negative numbers, wrong shapes), either returns a valid
// result of its kind or throws a QuantError with a code listed in ERROR_CODES — never a TypeError, never
// undefined. The same for every public method (instance and static) and the constructor of every
// exported class, and the methods of exported registry objects (sync or async: a rejected promise counts
// as thrown). A newly exported function, class, method or registry method without a contract here fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as api from '../../src/index.js';
import { propertyRuns } from '../helpers/property-runs.js';

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
        { numRuns: propertyRuns(300), seed: 19 },
      );
    });
  }
});

// ---- exported classes and registry objects ----

/** Calls that reach a workspace run in this folder (the test changes into it), never in the repository. */
const WORKSPACE = mkdtempSync(join(tmpdir(), 'quant-contract-'));

type Method = (...args: unknown[]) => unknown;
interface MethodContract {
  readonly args: fc.Arbitrary<unknown[]>;
  readonly valid: (result: unknown) => string | null;
}

const isObject = (r: unknown): boolean => typeof r === 'object' && r !== null;
const object = (what: string) => (r: unknown) => (isObject(r) ? null : `not ${what}`);
const arrayResult = (r: unknown): string | null => (Array.isArray(r) ? null : 'not an array');
const stageResult = (r: unknown): string | null =>
  typeof (r as { runId?: unknown }).runId === 'string' ? null : 'no runId';
const isCoded = (e: unknown): boolean =>
  e instanceof api.QuantError && Object.hasOwn(api.ERROR_CODES, e.code);

const stageIdArg = fc.oneof(
  junk,
  fc.constantFrom(...api.builtinStages.flatMap((s) => [s.id, ...s.aliases]), 'portfolio.optimise', ''),
);
const pipelineArg = fc.oneof(junk, fc.constantFrom(...api.builtinPipelines.map((p) => p.name), 'meta.gate'));
const runIdArg = fc.oneof(junk, fc.constantFrom('r1', '../x', 'meta_20260101-000000', ''));
const pathArg = fc.oneof(junk, fc.constantFrom('', 'run.json', '../../etc/passwd', 'reports'));
const locationKeys = {
  workspace: fc.oneof(fc.constant(WORKSPACE), junk),
  cwd: fc.oneof(fc.constant(WORKSPACE), junk),
  env: fc.oneof(fc.constant({}), fc.constant({ QUANT_WORKSPACE: WORKSPACE }), fc.constant(process.env), junk),
  confine: fc.oneof(fc.boolean(), junk),
  worksapce: junk,
};
const optionsOf = (extra: Record<string, fc.Arbitrary<unknown>> = {}): fc.Arbitrary<unknown> =>
  fc.oneof(junk, fc.record({ ...locationKeys, ...extra }, { requiredKeys: [] }));
const runKeys = {
  runId: runIdArg,
  manifest: fc.oneof(fc.constant(join(WORKSPACE, 'manifest.json')), junk),
  onProgress: fc.oneof(
    fc.constant(() => undefined),
    junk,
  ),
  onWarning: fc.oneof(
    fc.constant(() => undefined),
    junk,
  ),
  fresh: fc.oneof(fc.boolean(), junk),
};
const runOptionsArg = optionsOf(runKeys);
const metaOptionsArg = optionsOf({
  ...runKeys,
  riskProfiles: fc.oneof(fc.array(fc.string(), { maxLength: 2 }), junk),
  cache: fc.oneof(fc.boolean(), junk),
  sleeveRuns: fc.oneof(fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }), junk),
  executeSleeves: fc.oneof(
    junk,
    fc.record(
      { executor: fc.constantFrom('local', 'bullmq', 'lokal'), concurrency: num, executer: junk },
      { requiredKeys: [] },
    ),
  ),
  backtest: fc.oneof(fc.boolean(), junk),
});
const filterArg = fc.oneof(
  junk,
  fc.record(
    { category: fc.oneof(fc.constantFrom(...api.STAGE_CATEGORIES), junk), tag: junk, categroy: junk },
    { requiredKeys: [] },
  ),
);
const paramsArg = fc.oneof(
  junk,
  fc.record({ meta_profile: junk, profile: junk, input: junk }, { requiredKeys: [] }),
);
const hooksArg = fc.oneof(
  junk,
  fc.record(
    {
      restore: fc.oneof(
        fc.constant(() => 1),
        junk,
      ),
      completed: junk,
    },
    { requiredKeys: [] },
  ),
);
const registryArg = fc.oneof(junk, fc.constant(api.StageRegistry));

const sdkRun = {
  runStage: { args: fc.tuple(stageIdArg, paramsArg, runOptionsArg), valid: stageResult },
  safeRunStage: {
    args: fc.tuple(stageIdArg, paramsArg, runOptionsArg),
    valid: (r: unknown) => {
      const s = r as { ok?: unknown; error?: unknown };
      if (s.ok === true) return stageResult(r);
      return s.ok === false && isCoded(s.error) ? null : 'neither a result nor a coded failure';
    },
  },
  runMeta: {
    args: fc.tuple(fc.oneof(junk, fc.constantFrom('meta_global', '')), metaOptionsArg),
    valid: stageResult,
  },
  listStages: { args: fc.tuple(filterArg), valid: arrayResult },
};

/** Keys: `new C`, `C.staticMethod`, `C#instanceMethod`, `object.method` (exported registry objects). */
const METHOD_CONTRACTS: Record<string, MethodContract> = {
  'new QuantSDK': {
    args: fc.tuple(
      fc.oneof(
        junk,
        fc.record({ registry: registryArg, workspace: junk, worksapce: junk }, { requiredKeys: [] }),
      ),
    ),
    valid: (r) => (r instanceof api.QuantSDK ? null : 'not a QuantSDK'),
  },
  'QuantSDK.runStage': sdkRun.runStage,
  'QuantSDK.safeRunStage': sdkRun.safeRunStage,
  'QuantSDK.runPipeline': {
    args: fc.tuple(pipelineArg, fc.oneof(paramsArg, fc.constant(undefined)), runOptionsArg),
    valid: stageResult,
  },
  'QuantSDK.runMeta': sdkRun.runMeta,
  'QuantSDK.listStages': sdkRun.listStages,
  'QuantSDK.listRuns': {
    args: fc.tuple(optionsOf({ profile: fc.oneof(fc.string(), junk) })),
    valid: (r) => (Array.isArray((r as { runs?: unknown }).runs) ? null : 'no runs'),
  },
  'QuantSDK.readRun': { args: fc.tuple(runIdArg, optionsOf()), valid: object('run.json') },
  'QuantSDK.verifyLedger': { args: fc.tuple(runIdArg, optionsOf()), valid: object('a verdict') },
  'QuantSDK.verifyAudit': {
    args: fc.tuple(runIdArg, optionsOf({ strict: fc.oneof(fc.boolean(), junk) })),
    valid: object('a report'),
  },
  'QuantSDK.readArtifact': { args: fc.tuple(runIdArg, pathArg, optionsOf()), valid: object('a view') },
  'QuantSDK.listRunRows': { args: fc.tuple(optionsOf()), valid: object('a run list') },
  'QuantSDK.runView': { args: fc.tuple(runIdArg, optionsOf()), valid: object('a run view') },
  'QuantSDK.compareRuns': {
    args: fc.tuple(fc.array(runIdArg, { maxLength: 3 }), optionsOf()),
    valid: object('a comparison'),
  },
  'QuantSDK.readArtifactFile': { args: fc.tuple(runIdArg, pathArg, optionsOf()), valid: object('a file') },
  'QuantSDK.readReportHtml': { args: fc.tuple(runIdArg, optionsOf()), valid: object('a file') },
  'QuantSDK.workspaceInfo': {
    args: fc.tuple(optionsOf({ manifest: fc.oneof(fc.string(), junk) })),
    valid: object('workspace info'),
  },
  'QuantSDK.listArtifacts': { args: fc.tuple(optionsOf()), valid: arrayResult },
  'QuantSDK.reportPath': {
    args: fc.tuple(runIdArg, fc.oneof(junk, fc.constantFrom('html', 'md', 'pdf')), optionsOf()),
    valid: (r) => (typeof r === 'string' ? null : 'not a path'),
  },
  'QuantSDK#runStage': sdkRun.runStage,
  'QuantSDK#safeRunStage': sdkRun.safeRunStage,
  'QuantSDK#runPipeline': {
    args: fc.tuple(pipelineArg, fc.oneof(paramsArg, fc.constant(undefined)), runOptionsArg, hooksArg),
    valid: stageResult,
  },
  'QuantSDK#runMeta': sdkRun.runMeta,
  'QuantSDK#listStages': sdkRun.listStages,
  'QuantSDK#describeStage': {
    args: fc.tuple(stageIdArg),
    valid: (r) => (isObject((r as { schema?: unknown }).schema) ? null : 'no schema'),
  },
  'new QuantError': {
    args: fc.tuple(
      fc.oneof(junk, fc.constantFrom('E_PARAMS', 'E_SOLVER', 'E_NOPE')),
      fc.oneof(junk, fc.string()),
      fc.oneof(
        junk,
        fc.record(
          {
            hint: junk,
            location: junk,
            issues: fc.oneof(junk, fc.constant([{ path: 'a', message: 'b' }])),
            detail: junk,
          },
          { requiredKeys: [] },
        ),
      ),
    ),
    valid: (r) => (isCoded(r) ? null : 'not a QuantError with a listed code'),
  },
  'QuantError#oneLine': {
    args: fc.tuple(junk),
    valid: (r) => (typeof r === 'string' ? null : 'not a line'),
  },
  'QuantError#toJSON': { args: fc.tuple(junk), valid: object('an object') },
  'StageRegistry.listStages': { args: fc.tuple(filterArg), valid: arrayResult },
  'StageRegistry.getStage': {
    args: fc.tuple(stageIdArg),
    valid: (r) => (typeof (r as { id?: unknown }).id === 'string' ? null : 'not a stage'),
  },
  'StageRegistry.hasStage': {
    args: fc.tuple(stageIdArg),
    valid: (r) => (typeof r === 'boolean' ? null : 'not a boolean'),
  },
  'StageRegistry.getPipeline': {
    args: fc.tuple(pipelineArg),
    valid: (r) => (Array.isArray((r as { stages?: unknown }).stages) ? null : 'not a pipeline'),
  },
};

/** The receiver of an instance method: a default SDK, a coded error. */
const INSTANCES: Record<string, () => unknown> = {
  QuantSDK: () => new api.QuantSDK(),
  QuantError: () => new api.QuantError('E_PARAMS', 'x', { hint: 'h', issues: [{ path: 'p', message: 'm' }] }),
};

const ownMethods = (o: object, skip: readonly string[]): string[] =>
  Object.getOwnPropertyNames(o).filter(
    (k) => !skip.includes(k) && typeof Object.getOwnPropertyDescriptor(o, k)?.value === 'function',
  );

/** Every public method of the exported classes and registry objects, as `METHOD_CONTRACTS` keys. */
function exportedMethods(): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(api)) {
    if (isClass(value)) {
      const cls = value as unknown as { prototype: object };
      out.push(`new ${name}`);
      for (const k of ownMethods(cls, ['length', 'name', 'prototype'])) out.push(`${name}.${k}`);
      for (const k of ownMethods(cls.prototype, ['constructor'])) out.push(`${name}#${k}`);
    } else if (isObject(value) && !Array.isArray(value)) {
      for (const k of ownMethods(value as object, [])) out.push(`${name}.${k}`);
    }
  }
  return out.sort();
}

/** The function a contract key names, bound to its receiver. */
function resolveMethod(key: string): Method {
  const exports = api as unknown as Record<string, unknown>;
  const ctor = /^new (\w+)$/.exec(key);
  if (ctor !== null) {
    const cls = exports[ctor[1] as string] as new (...args: unknown[]) => unknown;
    return (...args) => new cls(...args);
  }
  const inst = /^(\w+)#(\w+)$/.exec(key);
  if (inst !== null) {
    const make = INSTANCES[inst[1] as string];
    assert.ok(make !== undefined, `an instance of ${inst[1]} to call ${key} on`);
    const receiver = make() as Record<string, Method>;
    const fn = receiver[inst[2] as string];
    assert.ok(typeof fn === 'function', `${key} is a method`);
    return fn.bind(receiver);
  }
  const [owner, method] = key.split('.') as [string, string];
  const target = exports[owner] as Record<string, Method>;
  const fn = target[method];
  assert.ok(typeof fn === 'function', `${key} is a function`);
  return fn.bind(target);
}

describe('public surface contract: classes and registries', () => {
  const home = process.cwd();
  before(() => process.chdir(WORKSPACE));
  after(() => {
    process.chdir(home);
    rmSync(WORKSPACE, { recursive: true, force: true });
  });

  test('every public method of an exported class or registry has a contract', () => {
    assert.deepEqual(
      exportedMethods(),
      Object.keys(METHOD_CONTRACTS).sort(),
      'add a contract for each new class, static or instance method',
    );
  });

  for (const [key, contract] of Object.entries(METHOD_CONTRACTS)) {
    test(`${key}: a valid result or a coded QuantError (thrown or rejected), on random junk`, async () => {
      const fn = resolveMethod(key);
      await fc.assert(
        fc.asyncProperty(contract.args, async (args) => {
          let result: unknown;
          try {
            result = await fn(...args);
          } catch (error) {
            assert.ok(error instanceof api.QuantError, `${key} threw ${String(error)}`);
            assert.ok(Object.hasOwn(api.ERROR_CODES, error.code), `${key}: code ${error.code} is listed`);
            assert.ok(error.message.length > 0, `${key}: the error says what is wrong`);
            return;
          }
          assert.ok(result !== undefined, `${key} returned undefined`);
          const problem = contract.valid(result);
          assert.equal(problem, null, `${key} returned an invalid result: ${String(problem)}`);
        }),
        { numRuns: propertyRuns(60), seed: 19 },
      );
    });
  }
});
