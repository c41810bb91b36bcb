import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { createRegistry } from '../../../src/core/registry.js';
import { defineStage, definePipeline } from '../../../src/core/stage.js';
import { QuantError } from '../../../src/errors.js';

// Small, real stages used to exercise the registry: they compute a sum and a product.
const sum = defineStage({
  id: 'demo.sum',
  name: 'Sum',
  description: 'adds numbers',
  category: 'portfolio',
  tags: ['math', 'demo'],
  aliases: ['demo.add'],
  params: z.strictObject({ xs: z.array(z.number()) }),
  output: 'the sum',
  async run(p) {
    const value = p.xs.reduce((a, b) => a + b, 0);
    return { value, summary: `sum ${value}` };
  },
});
const product = defineStage({
  id: 'demo.product',
  name: 'Product',
  description: 'multiplies numbers',
  category: 'meta',
  tags: ['math'],
  aliases: [],
  params: z.strictObject({ xs: z.array(z.number()) }),
  output: 'the product',
  async run(p) {
    const value = p.xs.reduce((a, b) => a * b, 1);
    return { value, summary: `product ${value}` };
  },
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof QuantError, `expected a QuantError, got ${String(error)}`);
    return error.code;
  }
  assert.fail('expected an error');
}

describe('createRegistry', () => {
  test('lists stages in catalog order and filters by category and tag', () => {
    const registry = createRegistry([sum, product]);
    assert.deepEqual(
      registry.listStages().map((s) => s.id),
      ['demo.sum', 'demo.product'],
      'registry.listStages().map((s) => s.id)',
    );
    assert.deepEqual(
      registry.listStages({ category: 'meta' }).map((s) => s.id),
      ['demo.product'],
      "registry.listStages({ category: 'meta' }).map((s) => s.id)",
    );
    assert.deepEqual(
      registry.listStages({ tag: 'demo' }).map((s) => s.id),
      ['demo.sum'],
      "registry.listStages({ tag: 'demo' }).map((s) => s.id)",
    );
    assert.deepEqual(
      registry.listStages({ tag: 'math', category: 'portfolio' }).map((s) => s.id),
      ['demo.sum'],
      "registry.listStages({ tag: 'math', category: 'portfolio' }).map((s) =…",
    );
  });

  test('resolves aliases to the same stage', () => {
    const registry = createRegistry([sum, product]);
    assert.equal(registry.getStage('demo.add'), sum, "registry.getStage('demo.add')");
    assert.equal(registry.getStage('demo.sum'), sum, "registry.getStage('demo.sum')");
  });

  test('an unknown id is E_UNKNOWN_STAGE with the closest suggestions', () => {
    const registry = createRegistry([sum, product]);
    try {
      registry.getStage('demo.summ');
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(error instanceof QuantError, 'error is a QuantError');
      assert.equal(error.code, 'E_UNKNOWN_STAGE', 'error.code');
      assert.deepEqual(
        (error.details['suggestions'] as string[])[0],
        'demo.sum',
        "(error.details['suggestions'])[0]",
      );
      assert.match(
        error.oneLine(),
        /did you mean "demo\.sum"/,
        'error.oneLine() matches /did you mean "demo\\.sum"/',
      );
    }
  });

  test('a duplicate id or alias names both definitions', () => {
    const clash = defineStage({ ...product, id: 'demo.other', aliases: ['demo.add'] });
    try {
      createRegistry([sum, clash]);
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(error instanceof QuantError, 'error is a QuantError');
      assert.equal(error.code, 'E_DUPLICATE_STAGE', 'error.code');
      assert.match(
        error.message,
        /alias of stage demo\.sum/,
        'error.message matches /alias of stage demo\\.sum/',
      );
      assert.match(
        error.message,
        /alias of stage demo\.other/,
        'error.message matches /alias of stage demo\\.other/',
      );
    }
    assert.equal(
      codeOf(() => createRegistry([sum, sum])),
      'E_DUPLICATE_STAGE',
      'codeOf(() => createRegistry([sum, sum]))',
    );
  });

  test('registries are immutable values', () => {
    const registry = createRegistry([sum]);
    assert.ok(Object.isFrozen(registry), 'Object.isFrozen(registry)');
    assert.ok(Object.isFrozen(registry.stages), 'Object.isFrozen(registry.stages)');
    assert.throws(
      () => (registry.stages as unknown as unknown[]).push(product),
      '(registry.stagesasunknownasunknown[]).push throws',
    );
    assert.equal(createRegistry([sum]).stages.length, 1, 'createRegistry([sum]).stages.length');
  });

  test('pipelines must name known stages; unknown pipeline names are coded errors', () => {
    const pipeline = definePipeline({
      name: 'both',
      description: 'sum then product',
      stages: ['demo.sum', 'demo.product'],
    });
    const registry = createRegistry([sum, product], [pipeline]);
    assert.deepEqual(
      registry.getPipeline('both').stages,
      ['demo.sum', 'demo.product'],
      "registry.getPipeline('both').stages",
    );
    assert.equal(
      codeOf(() => registry.getPipeline('bothh')),
      'E_UNKNOWN_PIPELINE',
      "codeOf(() => registry.getPipeline('bothh'))",
    );
    assert.equal(
      codeOf(() =>
        createRegistry([sum], [definePipeline({ name: 'x', description: '', stages: ['demo.nope'] })]),
      ),
      'E_UNKNOWN_STAGE',
      "codeOf(() => createRegistry([sum], [definePipeline({ name: 'x', descr…",
    );
  });
});
