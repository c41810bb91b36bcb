import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { defineStage } from '../../../src/core/stage.js';
import {
  coerceStringParams,
  parseParamPairs,
  resolveStageParams,
  splitCommaList,
  stageParamsJsonSchema,
} from '../../../src/core/params.js';
import { QuantError } from '../../../src/errors.js';

const stage = defineStage({
  id: 'demo.params',
  name: 'Params',
  description: 'echoes its params',
  category: 'portfolio',
  tags: [],
  aliases: [],
  params: z.strictObject({
    input: z.string(),
    method: z.enum(['hrp', 'min_variance']).default('hrp'),
    min_weight: z.number().min(0).default(0),
    flag: z.boolean().default(false),
    profiles: z.array(z.string()).optional(),
    sizes: z.array(z.number()).optional(),
    periods: z.union([z.literal('auto'), z.number().positive()]).default('auto'),
  }),
  output: 'nothing',
  async run(p) {
    return { value: p, summary: 'echo' };
  },
});

describe('params', () => {
  test('the JSON Schema is derived from zod, defaults kept, defaulted keys optional', () => {
    const schema = stageParamsJsonSchema(stage);
    assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema', "schema['$schema']");
    assert.deepEqual(schema['required'], ['input'], "schema['required']");
    const props = schema['properties'] as Record<string, Record<string, unknown>>;
    assert.equal(props['method']?.['default'], 'hrp', "props['method']?.['default']");
    assert.equal(schema['additionalProperties'], false, "schema['additionalProperties']");
  });

  test('string values are coerced by the schema: numbers, booleans, comma lists, repeated keys', () => {
    const params = coerceStringParams(
      stage,
      parseParamPairs([
        'input=a.csv',
        'min_weight=0.05',
        'flag=true',
        'profiles=hrp,min_variance',
        'profiles=erc',
        'sizes=1,2.5',
        'periods=365',
      ]),
    );
    assert.deepEqual(
      params,
      {
        input: 'a.csv',
        min_weight: 0.05,
        flag: true,
        profiles: ['hrp', 'min_variance', 'erc'],
        sizes: [1, 2.5],
        periods: 365,
      },
      'params',
    );
    assert.deepEqual(
      coerceStringParams(stage, [['periods', 'auto']]),
      { periods: 'auto' },
      "coerceStringParams(stage, [['periods', 'auto']])",
    );
  });

  test('every problem is reported at once, with paths', () => {
    try {
      resolveStageParams(stage, { min_weight: 'x', method: 'nope', extra: 1, sizes: [1, 'a'] });
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(error instanceof QuantError, 'error is a QuantError');
      assert.equal(error.code, 'E_PARAMS', 'error.code');
      const paths = error.issues.map((i) => i.path).sort();
      assert.deepEqual(paths, ['extra', 'input', 'method', 'min_weight', 'sizes[1]'], 'paths');
    }
  });

  test('a value that does not parse stays a string so validation names it', () => {
    const params = coerceStringParams(stage, [['min_weight', 'lots']]);
    assert.equal(params['min_weight'], 'lots', "params['min_weight']");
    assert.throws(
      () => resolveStageParams(stage, { input: 'a', ...params }),
      (e: unknown) => e instanceof QuantError && e.issues[0]?.path === 'min_weight',
      'resolveStageParams throws',
    );
  });

  test('an empty item of a comma list is E_USAGE naming the option, its position and the fix', () => {
    const refused = (value: string, label: string): QuantError => {
      try {
        splitCommaList(value, label);
      } catch (e) {
        assert.ok(e instanceof QuantError, `${label}${value}: a QuantError`);
        assert.equal(e.code, 'E_USAGE', `${label}${value}: E_USAGE`);
        return e;
      }
      return assert.fail(`${label}${value}: expected a refusal`);
    };
    const middle = refused('hrp,,erc', '--profiles ');
    assert.equal(
      middle.message,
      '--profiles "hrp,,erc" has an empty item at position 2 of 3',
      'the option, the list and the position',
    );
    assert.equal(
      middle.hint,
      'remove the extra comma: --profiles hrp,erc',
      'the list without the empty item',
    );
    assert.match(refused('hrp,', '--profiles ').message, /position 2 of 2$/, 'a trailing comma is refused');
    assert.match(refused(',hrp', '--profiles ').message, /position 1 of 2$/, 'a leading comma is refused');
    assert.match(refused('hrp, ,erc', '--profiles ').message, /position 2 of 3$/, 'spaces only are empty');
    assert.match(refused('', '--profiles ').message, /"" is empty$/, 'an empty list');
    assert.deepEqual(splitCommaList('hrp, erc', '--profiles '), ['hrp', ' erc'], 'items as written');
    assert.throws(
      () => coerceStringParams(stage, [['profiles', 'hrp,,erc']]),
      (e: unknown) =>
        e instanceof QuantError &&
        e.code === 'E_USAGE' &&
        e.message === 'profiles="hrp,,erc" has an empty item at position 2 of 3' &&
        e.hint === 'remove the extra comma: profiles=hrp,erc',
      '--param key=a,,b goes through the same parser',
    );
    assert.deepEqual(
      coerceStringParams(stage, [['profiles', '']]),
      { profiles: [] },
      '`key=` is still the empty list',
    );
  });

  test('numbers are plain decimals, as --nav and the CSV tables take them: not 0x10, 0b11, 0o7 or Infinity', () => {
    for (const text of ['0x10', '0b11', '0o7', 'Infinity', '1e400']) {
      const params = coerceStringParams(stage, [['min_weight', text]]);
      assert.equal(params['min_weight'], text, `${text} stays a string`);
      assert.throws(
        () => resolveStageParams(stage, { input: 'a', ...params }),
        (e: unknown) => e instanceof QuantError && e.issues[0]?.path === 'min_weight',
        `${text}: validation names min_weight`,
      );
    }
    const decimals = coerceStringParams(stage, [['min_weight', ' 1e-2 ']]);
    assert.equal(decimals['min_weight'], 0.01, 'a decimal with an exponent is a number');
  });

  test('a text where a number or a boolean belongs is named with its value and the form taken', () => {
    const messageOf = (params: Record<string, unknown>): string | undefined => {
      try {
        resolveStageParams(stage, { input: 'a', ...params });
      } catch (error) {
        return error instanceof QuantError ? error.issues[0]?.message : undefined;
      }
      return undefined;
    };
    const cli = (key: string, text: string): Record<string, unknown> =>
      coerceStringParams(stage, [[key, text]]);
    assert.match(
      messageOf(cli('min_weight', '0x10')) ?? '',
      /^"0x10" is not a number: write a plain decimal/,
      '0x10',
    );
    assert.match(
      messageOf(cli('min_weight', '1e400')) ?? '',
      /^"1e400" is out of range for a number$/,
      '1e400',
    );
    assert.match(
      messageOf({ min_weight: '0.1' }) ?? '',
      /^"0\.1" is a string: write the number without quotes$/,
      'a quoted number in a params file',
    );
    assert.match(
      messageOf(cli('flag', 'maybe')) ?? '',
      /^"maybe" is not a boolean: write true or false$/,
      'flag',
    );
    assert.match(
      messageOf({ min_weight: [1] }) ?? '',
      /expected number/,
      'other types keep the schema message',
    );
  });

  test('--param without = is a usage error', () => {
    assert.throws(
      () => parseParamPairs(['method']),
      (e: unknown) => e instanceof QuantError && e.code === 'E_USAGE',
      'parseParamPairs throws E_USAGE',
    );
  });
});

describe('params: did you mean', () => {
  const issuesOf = (raw: unknown): { path: string; message: string }[] => {
    try {
      resolveStageParams(stage, raw);
    } catch (error) {
      assert.ok(error instanceof QuantError, 'a QuantError');
      assert.equal(error.code, 'E_PARAMS', 'code');
      return [...error.issues];
    }
    assert.fail('the params were accepted');
  };

  test('an unknown parameter name suggests the closest declared one', () => {
    assert.deepEqual(
      issuesOf({ input: 'x', methd: 'hrp' }),
      [{ path: 'methd', message: 'unknown parameter (did you mean "method"?)' }],
      'methd → method',
    );
  });

  test('a value outside a closed vocabulary suggests the closest allowed value', () => {
    const [issue] = issuesOf({ input: 'x', method: 'hrpp' });
    assert.equal(issue?.path, 'method', 'the path');
    assert.match(issue?.message ?? '', /\(did you mean "hrp"\?\)$/, `hrpp → hrp: ${issue?.message}`);
  });

  test('nothing close, no suggestion', () => {
    const [issue] = issuesOf({ input: 'x', zzzzzz: 1 });
    assert.equal(issue?.message, 'unknown parameter', 'no suggestion for a far name');
  });
});
