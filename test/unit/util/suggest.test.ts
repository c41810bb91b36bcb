// Did-you-mean suggestions: edit distance, substrings, and abbreviations that leave out separators and
// the end of a name (`minvar` for `min_variance`), which edit distance alone misses or ranks last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestMatches, didYouMean } from '../../../src/util/suggest.js';

const METHODS = [
  'hrp',
  'min_variance',
  'min_cvar',
  'max_sharpe',
  'risk_parity',
  'inverse_variance',
  'min_cdar',
];

test('an abbreviation without separators suggests the name it begins, first', () => {
  assert.deepEqual(closestMatches('minvar', METHODS).slice(0, 1), ['min_variance'], 'minvar');
  assert.deepEqual(closestMatches('riskpar', METHODS), ['risk_parity'], 'riskpar');
  assert.deepEqual(closestMatches('MaxSharpe', METHODS), ['max_sharpe'], 'case and separators do not matter');
  assert.equal(didYouMean('inv-var', METHODS), ' (did you mean "inverse_variance"?)', 'inv-var');
});

test('a flag-style no_ or no- before an option name suggests the option', () => {
  const options = ['run_id', 'risk_profiles', 'cache', 'backtest', 'execute_sleeves'];
  assert.deepEqual(closestMatches('no_cach', options), ['cache'], 'no_cach');
  assert.deepEqual(closestMatches('no-backtest', options), ['backtest'], 'no-backtest');
});

test('typos and too-short or unrelated inputs behave as before', () => {
  assert.deepEqual(closestMatches('hpr', METHODS), ['hrp'], 'a transposition');
  assert.deepEqual(closestMatches('mi', METHODS), [], 'two letters suggest nothing by abbreviation');
  assert.equal(didYouMean('banana', METHODS), '', 'nothing close: no suggestion');
});
