// Names that every JavaScript object inherits (`constructor`, `toString`, `valueOf`, `hasOwnProperty`,
// `isPrototypeOf`) are ordinary names: as sleeve and meta profile names, sleeve ids and asset columns they
// run end to end through the built CLI, and as undeclared names they are as unknown as any other. The one
// name no object can hold, `__proto__`, is refused wherever a name is read (the bad-input corpus,
// category "prototype names", has those cases); here through the SDK, where params are objects.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantError, QuantSDK } from '../../src/index.js';
import { quant, tempDir } from '../helpers/cli.js';
import { businessDays, randomReturns } from '../helpers/sleeve-fixtures.js';

const COLUMNS = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'B'];

/** A price table whose columns are named like Object.prototype's members. */
function pricesCsv(): string {
  const dates = businessDays('2023-01-02', 160);
  const series = COLUMNS.map((_, j) => randomReturns(40 + j, dates.length, { vol: 0.01 + 0.002 * j }));
  const level = COLUMNS.map(() => 100);
  const rows = dates.map((d, t) => {
    const cells = level.map((p, j) => {
      level[j] = p * (1 + (series[j]?.[t] ?? 0));
      return (level[j] as number).toFixed(6);
    });
    return [d, ...cells].join(',');
  });
  return `${['date', ...COLUMNS].join(',')}\n${rows.join('\n')}\n`;
}

const sleeve = (assets: string[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  sleeve: { prices: 'p.csv', assets, risk_profiles: ['hrp'], train_window: 40, test_window: 10, ...extra },
});

/**
 * constructor (sleeve): assets toString (no direction: LONG), B, valueOf (SHORT).
 * hasOwnProperty (sleeve): assets constructor, hasOwnProperty.
 * valueOf (meta): sleeves toString → constructor, isPrototypeOf → hasOwnProperty.
 * toString (meta): sleeves constructor → meta valueOf, valueOf → hasOwnProperty.
 */
const MANIFEST = {
  profiles: {
    constructor: sleeve(['toString', 'B', 'valueOf'], { directions: { valueOf: 'SHORT' } }),
    hasOwnProperty: sleeve(['constructor', 'hasOwnProperty']),
    valueOf: {
      sleeves: [
        { id: 'toString', profile: 'constructor' },
        { id: 'isPrototypeOf', profile: 'hasOwnProperty' },
      ],
    },
    toString: {
      sleeves: [
        { id: 'constructor', meta_profile: 'valueOf' },
        { id: 'valueOf', profile: 'hasOwnProperty' },
      ],
    },
  },
};

function ok(ws: string, args: string[]): string {
  const r = quant([...args, '--workspace', ws], { cwd: ws });
  assert.equal(r.code, 0, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

describe('prototype names are ordinary names', () => {
  let ws: { path: string; cleanup(): void };
  before(() => {
    ws = tempDir('quant-proto-');
    writeFileSync(join(ws.path, 'p.csv'), pricesCsv());
    writeFileSync(join(ws.path, 'manifest.json'), JSON.stringify(MANIFEST, null, 2));
  });
  after(() => ws.cleanup());

  test('sleeve profiles named constructor and hasOwnProperty run; an asset without a direction is LONG', () => {
    ok(ws.path, ['sleeve', 'run', '--profile', 'constructor', '--run-id', 'c1']);
    ok(ws.path, ['sleeve', 'run', '--profile', 'hasOwnProperty', '--run-id', 'h1']);
    const doc = readJson(join(ws.path, 'runs', 'c1', 'data', 'portfolio_flattened.json')) as {
      profiles: { hrp: { assets: { Symbol: string; Direction: string }[] } };
    };
    assert.deepEqual(
      doc.profiles.hrp.assets.map((a) => [a.Symbol, a.Direction]),
      [
        ['toString', 'LONG'],
        ['B', 'LONG'],
        ['valueOf', 'SHORT'],
      ],
      'doc.profiles.hrp.assets.map((a) => [a.Symbol, a.Direction])',
    );
  });

  test('a meta profile named valueOf reuses the latest runs of its sleeve profiles', () => {
    ok(ws.path, ['meta', 'run', '--profile', 'valueOf', '--run-id', 'm1']);
    const resolved = readJson(join(ws.path, 'runs', 'm1', 'config', 'resolved_manifest.json')) as {
      sleeves: { id: string; profile: string; run_id: string }[];
    };
    assert.deepEqual(
      resolved.sleeves.map((s) => [s.id, s.profile, s.run_id]),
      [
        ['toString', 'constructor', 'c1'],
        ['isPrototypeOf', 'hasOwnProperty', 'h1'],
      ],
      'resolved.sleeves.map((s) => [s.id, s.profile, s.run_id])',
    );
  });

  test('a nested meta profile named toString runs with --execute-sleeves and validates', () => {
    ok(ws.path, ['meta', 'run', '--profile', 'toString', '--execute-sleeves', '--run-id', 'm2']);
    ok(ws.path, ['meta', 'validate', '--run-id', 'm2']);
    const listed = JSON.parse(ok(ws.path, ['runs', 'list', '--json'])) as {
      run_id: string;
      status: string;
    }[];
    for (const id of ['c1', 'h1', 'm1', 'm2'])
      assert.equal(listed.find((r) => r.run_id === id)?.status, 'success', `${id} listed as success`);
  });

  test('columns named like prototype members all get a weight from portfolio.optimize', () => {
    ok(ws.path, ['stage', 'run', 'portfolio.optimize', '--run-id', 'o1', '--param', 'input=p.csv']);
    const doc = readJson(join(ws.path, 'runs', 'o1', 'data', 'weights_hrp.json')) as {
      weights: Record<string, number>;
    };
    assert.deepEqual(Object.keys(doc.weights), COLUMNS, 'Object.keys(doc.weights)');
    const sum = Object.values(doc.weights).reduce((s, w) => s + w, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, `weights sum to ${sum}`);
  });

  test('undeclared prototype names are unknown, not found on Object.prototype', () => {
    for (const [args, code] of [
      [['sleeve', 'run', '--profile', 'isPrototypeOf'], 'E_UNKNOWN_PROFILE'],
      [['meta', 'run', '--profile', 'propertyIsEnumerable'], 'E_UNKNOWN_PROFILE'],
      [['meta', 'run', '--profile', 'valueOf', '--profiles', 'toString'], 'E_PARAMS'],
    ] as const) {
      const r = quant([...args, '--workspace', ws.path], { cwd: ws.path });
      assert.equal(r.code, 1, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^${code}: `), `${args.join(' ')}: ${r.stderr}`);
    }
  });

  test('SDK: a `__proto__` member of params (JSON.parse makes it an own key) is an unknown param', async () => {
    const params = JSON.parse('{"input": "p.csv", "__proto__": {"method": "min_variance"}}') as unknown;
    const result = await QuantSDK.safeRunStage('portfolio.optimize', params, {
      workspace: ws.path,
      cwd: ws.path,
    });
    assert.equal(result.ok, false, 'refused');
    const error = (result as { error: QuantError }).error;
    assert.equal(error.code, 'E_PARAMS', 'error.code');
    assert.match(
      error.message,
      /__proto__: unknown parameter/,
      'error.message matches /__proto__: unknown parameter/',
    );
    const pipeline = QuantSDK.runPipeline(
      'meta',
      JSON.parse('{"meta_profile": "valueOf", "meta.optimize": {"__proto__": {"bogus": 1}}}') as Record<
        string,
        unknown
      >,
      { workspace: ws.path, cwd: ws.path, runId: 'p1' },
    );
    await assert.rejects(
      pipeline,
      (e: unknown) => e instanceof QuantError && e.code === 'E_PARAMS' && /__proto__/.test(e.message),
      'pipeline rejects with E_PARAMS',
    );
  });
});
