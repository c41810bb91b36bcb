// The exported classes check their arguments like the exported functions: a wrong type, a missing value
// or a misspelt option is E_PARAMS naming the method, the argument and what is allowed (did-you-mean for
// a misspelt option), never a TypeError and never ignored.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QuantError, QuantSDK, StageRegistry, createRegistry, builtinStages } from '../../../src/index.js';

/** Run `fn` (sync or async) and return the coded error it fails with. */
async function codedFailure(fn: () => unknown): Promise<QuantError> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof QuantError, `a QuantError, not ${String(error)}`);
    return error;
  }
  assert.fail('expected a coded failure');
}

const junk = null as never;

describe('QuantSDK and registry entry points', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'QuantSDK.runStage(5)',
      () => QuantSDK.runStage(5 as never, {}),
      /QuantSDK\.runStage: id: received number 5; expected a string/,
    ],
    [
      'QuantSDK.runPipeline(null)',
      () => QuantSDK.runPipeline(junk, {}),
      /QuantSDK\.runPipeline: name: received null/,
    ],
    [
      'QuantSDK.runMeta(null, null)',
      () => QuantSDK.runMeta(junk, junk),
      /QuantSDK\.runMeta: metaProfile: received null/,
    ],
    [
      'QuantSDK.compareRuns([])',
      () => QuantSDK.compareRuns([], { workspace: '.' }),
      /QuantSDK\.compareRuns: runIds: received an array of 0; expected a list of at least 1 item/,
    ],
    [
      'QuantSDK.listRuns(null)',
      () => QuantSDK.listRuns(junk),
      /QuantSDK\.listRuns: options: received null; expected an object/,
    ],
    [
      "QuantSDK.readArtifact('x', null)",
      () => QuantSDK.readArtifact('x', junk),
      /QuantSDK\.readArtifact: path: received null/,
    ],
    [
      'QuantSDK.reportPath(null)',
      () => QuantSDK.reportPath(junk, junk),
      /QuantSDK\.reportPath: runId: received null/,
    ],
    [
      "QuantSDK.reportPath('r', 'pdf')",
      () => QuantSDK.reportPath('r', 'pdf' as never),
      /format: received "pdf"; expected one of html, md/,
    ],
    [
      'new QuantSDK(null)',
      () => new QuantSDK(junk),
      /new QuantSDK: options: received null; expected an object/,
    ],
    [
      'new QuantSDK({ workspace: 5 })',
      () => new QuantSDK({ workspace: 5 } as never),
      /options\.workspace: unknown option \(workspace is an option of each call/,
    ],
    [
      "new QuantSDK({ worksapce: '/w' })",
      () => new QuantSDK({ worksapce: '/w' } as never),
      /options\.worksapce: unknown option \(did you mean "workspace"\?/,
    ],
    [
      'new QuantSDK({ registry: 5 })',
      () => new QuantSDK({ registry: 5 } as never),
      /options\.registry: received number 5; expected a registry/,
    ],
    [
      'describeStage(null)',
      () => new QuantSDK().describeStage(junk),
      /QuantSDK\.describeStage: id: received null/,
    ],
    [
      'StageRegistry.getStage(null)',
      () => StageRegistry.getStage(junk),
      /registry\.getStage: id: received null; expected a string/,
    ],
    [
      'StageRegistry.getPipeline({})',
      () => StageRegistry.getPipeline({} as never),
      /registry\.getPipeline: name: received an object/,
    ],
    [
      "listStages({ categroy: 'meta' })",
      () => QuantSDK.listStages({ categroy: 'meta' } as never),
      /filter\.categroy: unknown option \(did you mean "category"\?\)/,
    ],
    [
      'runStage option typo',
      () => QuantSDK.runStage('portfolio.optimize', {}, { worksapce: '/w' } as never),
      /options\.worksapce: unknown option \(did you mean "workspace"\?\)/,
    ],
    [
      'runStage onProgress not a function',
      () => QuantSDK.runStage('portfolio.optimize', {}, { onProgress: 'x' } as never),
      /options\.onProgress: received "x"; expected a function/,
    ],
    [
      'runMeta executeSleeves typo',
      () => QuantSDK.runMeta('m', { executeSleeves: { executer: 'local' } } as never),
      /options\.executeSleeves\.executer: unknown option \(did you mean "executor"\?\)/,
    ],
    [
      'runMeta riskProfiles element',
      () => QuantSDK.runMeta('m', { riskProfiles: ['a', 5] } as never),
      /options\.riskProfiles\[1\]: received number 5; expected a string/,
    ],
    [
      'runStage env with a number',
      () => QuantSDK.runStage('portfolio.optimize', {}, { env: { A: 1 } } as never),
      /options\.env: received an object; expected an object of strings, like process\.env/,
    ],
    [
      'verifyAudit strict',
      () => QuantSDK.verifyAudit('r', { strict: 'yes' } as never),
      /options\.strict: received "yes"; expected a boolean/,
    ],
    ['new QuantError(5)', () => new QuantError(5 as never, 'x'), /new QuantError: code: received number/],
    [
      "new QuantError('E_PARAMS', 'x', { hnt })",
      () => new QuantError('E_PARAMS', 'x', { hnt: 'h' } as never),
      /options\.hnt: unknown option/,
    ],
  ];
  for (const [name, fn, message] of cases) {
    test(`${name} is E_PARAMS naming the argument`, async () => {
      const error = await codedFailure(fn);
      assert.equal(error.code, 'E_PARAMS', `${name}: ${error.message}`);
      assert.match(error.message, message, `${name}: the message names the argument and what is allowed`);
    });
  }

  test('safeRunStage returns a bad argument as a coded failure', async () => {
    const result = await QuantSDK.safeRunStage(5 as never, {});
    assert.equal(result.ok, false, 'not ok');
    assert.equal(result.ok ? '' : result.error.code, 'E_PARAMS', 'E_PARAMS');
  });

  test('a registry of your own checks its arguments too', async () => {
    const registry = createRegistry(builtinStages);
    const error = await codedFailure(() => registry.listStages(junk));
    assert.match(error.message, /registry\.listStages: filter: received null/, error.message);
    assert.equal(new QuantSDK({ registry }).listStages({ category: 'meta' }).length > 0, true, 'meta stages');
  });

  test('valid calls still work: the options object is passed on unchanged', async () => {
    const sdk = new QuantSDK({ registry: StageRegistry });
    assert.equal(sdk.describeStage('portfolio.optimize').stage.id, 'portfolio.optimize', 'describe');
    assert.equal(StageRegistry.hasStage(junk), false, 'hasStage of junk is false');
    const error = await codedFailure(() =>
      QuantSDK.readRun('no_such_run', { workspace: '/nonexistent-ws', env: process.env }),
    );
    assert.equal(error.code, 'E_RUN_NOT_FOUND', error.message);
  });
});
