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
    );
    assert.deepEqual(
      registry.listStages({ category: 'meta' }).map((s) => s.id),
      ['demo.product'],
    );
    assert.deepEqual(
      registry.listStages({ tag: 'demo' }).map((s) => s.id),
      ['demo.sum'],
    );
    assert.deepEqual(
      registry.listStages({ tag: 'math', category: 'portfolio' }).map((s) => s.id),
      ['demo.sum'],
    );
  });

  test('resolves aliases to the same stage', () => {
    const registry = createRegistry([sum, product]);
    assert.equal(registry.getStage('demo.add'), sum);
    assert.equal(registry.getStage('demo.sum'), sum);
  });

  test('an unknown id is E_UNKNOWN_STAGE with the closest suggestions', () => {
    const registry = createRegistry([sum, product]);
    try {
      registry.getStage('demo.summ');
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(error instanceof QuantError);
      assert.equal(error.code, 'E_UNKNOWN_STAGE');
      assert.deepEqual((error.details['suggestions'] as string[])[0], 'demo.sum');
      assert.match(error.oneLine(), /did you mean "demo\.sum"/);
    }
  });

  test('a duplicate id or alias names both definitions', () => {
    const clash = defineStage({ ...product, id: 'demo.other', aliases: ['demo.add'] });
    try {
      createRegistry([sum, clash]);
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(error instanceof QuantError);
      assert.equal(error.code, 'E_DUPLICATE_STAGE');
      assert.match(error.message, /alias of stage demo\.sum/);
      assert.match(error.message, /alias of stage demo\.other/);
    }
    assert.equal(
      codeOf(() => createRegistry([sum, sum])),
      'E_DUPLICATE_STAGE',
    );
  });

  test('registries are immutable values', () => {
    const registry = createRegistry([sum]);
    assert.ok(Object.isFrozen(registry));
    assert.ok(Object.isFrozen(registry.stages));
    assert.throws(() => (registry.stages as unknown as unknown[]).push(product));
    assert.equal(createRegistry([sum]).stages.length, 1);
  });

  test('pipelines must name known stages; unknown pipeline names are coded errors', () => {
    const pipeline = definePipeline({
      name: 'both',
      description: 'sum then product',
      stages: ['demo.sum', 'demo.product'],
    });
    const registry = createRegistry([sum, product], [pipeline]);
    assert.deepEqual(registry.getPipeline('both').stages, ['demo.sum', 'demo.product']);
    assert.equal(
      codeOf(() => registry.getPipeline('bothh')),
      'E_UNKNOWN_PIPELINE',
    );
    assert.equal(
      codeOf(() =>
        createRegistry([sum], [definePipeline({ name: 'x', description: '', stages: ['demo.nope'] })]),
      ),
      'E_UNKNOWN_STAGE',
    );
  });
});
