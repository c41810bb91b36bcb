import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatArtifactAddress,
  formatStageAddress,
  isQuantAddress,
  parseQuantAddress,
  parseStageRef,
} from '../../../src/core/address.js';
import { coerceStringParams, parseParamPairs, resolveStageParams } from '../../../src/core/params.js';
import { QuantError } from '../../../src/errors.js';
import { StageRegistry } from '../../../src/stages/catalog.js';

/** Run `fn`, expect an E_ADDRESS error, and return its `details.part` and `details.offset`. */
function addressError(fn: () => unknown): { part: unknown; offset: unknown; message: string } {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof QuantError, String(error));
    assert.equal(error.code, 'E_ADDRESS', 'error.code');
    return { part: error.details['part'], offset: error.details['offset'], message: error.message };
  }
  assert.fail('expected E_ADDRESS');
}

describe('parseQuantAddress: stages', () => {
  test('a stage id with params: pairs in order, percent-decoded, repeated keys kept, + literal', () => {
    assert.deepEqual(
      parseQuantAddress(
        'quant://portfolio.optimize?method=hrp&input=data%2Fmy%20prices.csv&assets=A&assets=B,C&t=10:00+01:00',
      ),
      {
        kind: 'stage',
        stageId: 'portfolio.optimize',
        pairs: [
          ['method', 'hrp'],
          ['input', 'data/my prices.csv'],
          ['assets', 'A'],
          ['assets', 'B,C'],
          ['t', '10:00+01:00'],
        ],
      },
      "parseQuantAddress('quant://portfolio.optimize?method=hrp&input=data%2…",
    );
  });

  test('no query, an empty query and an empty value are fine; the scheme is case-insensitive', () => {
    assert.deepEqual(
      parseQuantAddress('quant://meta.returns'),
      {
        kind: 'stage',
        stageId: 'meta.returns',
        pairs: [],
      },
      "parseQuantAddress('quant://meta.returns')",
    );
    assert.deepEqual(
      parseQuantAddress('QUANT://meta.returns?'),
      {
        kind: 'stage',
        stageId: 'meta.returns',
        pairs: [],
      },
      "parseQuantAddress('QUANT://meta.returns?')",
    );
    assert.deepEqual(
      parseQuantAddress('quant://x.y?assets='),
      {
        kind: 'stage',
        stageId: 'x.y',
        pairs: [['assets', '']],
      },
      "parseQuantAddress('quant://x.y?assets=')",
    );
  });

  test('address pairs coerce exactly like --param pairs (same schema, same values)', () => {
    const stage = StageRegistry.getStage('portfolio.optimize');
    const address = parseStageRef(
      'quant://portfolio.optimize?input=p.csv&max_weight=0.5&fallback=true&assets=A&assets=B,C',
    );
    const cli = parseParamPairs(['input=p.csv', 'max_weight=0.5', 'fallback=true', 'assets=A', 'assets=B,C']);
    const fromAddress = coerceStringParams(stage, address.pairs);
    assert.deepEqual(fromAddress, coerceStringParams(stage, cli), 'fromAddress');
    assert.deepEqual(
      fromAddress,
      {
        input: 'p.csv',
        max_weight: 0.5,
        fallback: true,
        assets: ['A', 'B', 'C'],
      },
      'fromAddress',
    );
    const resolved = resolveStageParams(stage, fromAddress) as { max_weight: number; method: string };
    assert.equal(resolved.max_weight, 0.5, 'resolved.max_weight');
    assert.equal(resolved.method, 'hrp', 'resolved.method');
  });
});

describe('parseQuantAddress: artifacts and documents', () => {
  test('runs/<run_id>/<path>, segments decoded; no path names the run; a trailing slash is ignored', () => {
    assert.deepEqual(
      parseQuantAddress('quant://runs/m1/data/weights_hrp.json'),
      {
        kind: 'artifact',
        runId: 'm1',
        path: 'data/weights_hrp.json',
      },
      "parseQuantAddress('quant://runs/m1/data/weights_hrp.json')",
    );
    assert.deepEqual(
      parseQuantAddress('quant://runs/m1'),
      { kind: 'artifact', runId: 'm1', path: '' },
      "parseQuantAddress('quant://runs/m1')",
    );
    assert.deepEqual(
      parseQuantAddress('quant://runs/m1/data/'),
      {
        kind: 'artifact',
        runId: 'm1',
        path: 'data',
      },
      "parseQuantAddress('quant://runs/m1/data/')",
    );
    assert.deepEqual(
      parseQuantAddress('quant://runs/m1/reports/a%20b.md'),
      {
        kind: 'artifact',
        runId: 'm1',
        path: 'reports/a b.md',
      },
      "parseQuantAddress('quant://runs/m1/reports/a%20b.md')",
    );
    assert.deepEqual(
      parseQuantAddress('quant://docs/stages.md'),
      { kind: 'doc', name: 'stages.md' },
      "parseQuantAddress('quant://docs/stages.md')",
    );
  });
});

describe('parseQuantAddress: malformed addresses point at the bad part', () => {
  const cases: [string, string, number, RegExp][] = [
    ['http://portfolio.optimize', 'http:', 0, /not a quant:\/\/ address/],
    ['quant:portfolio.optimize', 'po', 6, /expected "\/\/"/],
    ['quant://', '', 8, /missing stage id/],
    ['quant://portfolio.optimize?method', 'method', 27, /parameter "method" has no value/],
    ['quant://portfolio.optimize?=hrp', '=hrp', 27, /empty parameter name/],
    ['quant://portfolio.optimize?a=1&&b=2', '&', 31, /empty parameter/],
    ['quant://portfolio.optimize?a=1&', '&', 30, /empty parameter/],
    ['quant://portfolio.optimize?&a=1', '&', 27, /empty parameter/],
    ['quant://portfolio.optimize?method=%zz', '%zz', 34, /bad percent-encoding in the value of "method"/],
    ['quant://portfolio.optimize?method=%E0%A4', '%E0%A4', 34, /not valid UTF-8/],
    ['quant://portfolio.optimize/x', '/x', 26, /a stage address has no path/],
    ['quant://portfolio.optimize#top', '#top', 26, /fragments/],
    ['quant://runs', 'runs', 8, /missing run id/],
    ['quant://runs/m1/../../etc/passwd', '..', 16, /"\.\." is not allowed/],
    ['quant://runs/m1/%2E%2E/x', '%2E%2E', 16, /"\.\." is not allowed/],
    ['quant://runs/m1/a%2Fb', 'a%2Fb', 16, /an encoded "\/"/],
    ['quant://runs/m1//x', '/', 16, /empty segment/],
    ['quant://runs/m1/x?y=1', '?y=1', 17, /takes no query/],
  ];
  for (const [address, part, offset, message] of cases) {
    test(address, () => {
      const e = addressError(() => parseQuantAddress(address));
      assert.equal(e.part, part, 'e.part');
      assert.equal(e.offset, offset, 'e.offset');
      assert.equal(address.slice(offset, offset + part.length), part, 'the offset points at the part');
      assert.match(e.message, message, 'e.message matches message');
      assert.match(
        e.message,
        new RegExp(`at character ${offset + 1} `),
        'e.message matches new RegExp(`at character ${offset + 1} `)',
      );
    });
  }
});

describe('parseStageRef', () => {
  test('a plain id passes through; an artifact address is refused', () => {
    assert.deepEqual(
      parseStageRef('meta.aggregation'),
      { stageId: 'meta.aggregation', pairs: [] },
      "parseStageRef('meta.aggregation')",
    );
    const e = addressError(() => parseStageRef('quant://runs/m1/run.json'));
    assert.match(
      e.message,
      /names an artifact, not a stage/,
      'e.message matches /names an artifact, not a stage/',
    );
    assert.equal(isQuantAddress('Quant://x'), true, "isQuantAddress('Quant://x')");
    assert.equal(isQuantAddress('portfolio.optimize'), false, "isQuantAddress('portfolio.optimize')");
  });
});

describe('formatting round-trips through parsing', () => {
  test('artifact addresses', () => {
    assert.equal(
      formatArtifactAddress('m1', 'data/a b.json'),
      'quant://runs/m1/data/a%20b.json',
      "formatArtifactAddress('m1', 'data/a b.json')",
    );
    assert.equal(formatArtifactAddress('m1'), 'quant://runs/m1', "formatArtifactAddress('m1')");
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
        fc.array(
          fc
            .string({ minLength: 1, maxLength: 8 })
            .filter((s) => s !== '.' && s !== '..' && !/[/\\\0]/.test(s)),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (runId, segments) => {
          const path = segments.join('/');
          assert.deepEqual(
            parseQuantAddress(formatArtifactAddress(runId, path)),
            {
              kind: 'artifact',
              runId,
              path,
            },
            'parseQuantAddress(formatArtifactAddress(runId, path))',
          );
        },
      ),
    );
  });

  test('stage addresses keep every pair, in order, whatever the characters', () => {
    assert.equal(
      formatStageAddress('p.o', [
        ['assets', 'A,B'],
        ['t', 'x&y=z'],
      ]),
      'quant://p.o?assets=A,B&t=x%26y%3Dz',
      "formatStageAddress('p.o', [ ['assets', 'A,B'], ['t', 'x&y=z'], ])",
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ maxLength: 10 })), {
          maxLength: 5,
        }),
        (pairs) => {
          assert.deepEqual(
            parseQuantAddress(formatStageAddress('portfolio.optimize', pairs)),
            {
              kind: 'stage',
              stageId: 'portfolio.optimize',
              pairs,
            },
            "parseQuantAddress(formatStageAddress('portfolio.optimize', pairs))",
          );
        },
      ),
    );
  });
});
