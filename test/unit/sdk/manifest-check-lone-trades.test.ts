// `quant manifest check` (checkManifestFile) foresees two failures a run would meet: a meta profile with
// one sleeve (every run of it is E_TOO_FEW_SLEEVES) is a problem listed with the schema's, at its JSON
// path and line; and, given the workspace, the files a `trades` block names are read as a run reads them
// (missing, outside the workspace, a bad row), each error naming the block's key.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isQuantError, type QuantError } from '../../../src/index.js';
import { checkManifestFile } from '../../../src/sdk/manifest-check.js';
import { tempDir } from '../../helpers/cli.js';

const sleeve = (p: string) => ({ sleeve: { prices: p, assets: ['A', 'B'], risk_profiles: ['hrp'] } });
const pair = [
  { id: 'a', profile: 's1' },
  { id: 'b', profile: 's2' },
];

let ws: { path: string; cleanup(): void };
beforeEach(() => {
  ws = tempDir('mf-check-lone-');
  mkdirSync(join(ws.path, 'ws'));
  // The sleeves' prices, which the check reads as `quant sleeve run` would: 400 weekdays of A and B.
  for (const [name, drift] of [
    ['a.csv', 0.001],
    ['b.csv', -0.0005],
  ] as const) {
    const lines = ['date,A,B'];
    for (let t = 0, day = Date.UTC(2020, 0, 1); lines.length <= 400; day += 86_400_000) {
      if ([0, 6].includes(new Date(day).getUTCDay())) continue;
      t++;
      const date = new Date(day).toISOString().slice(0, 10);
      lines.push(
        `${date},${(100 * (1 + drift * t + 0.01 * Math.sin(t))).toFixed(4)},${(50 + Math.cos(t / 3)).toFixed(4)}`,
      );
    }
    writeFileSync(join(ws.path, 'ws', name), `${lines.join('\n')}\n`);
  }
});
afterEach(() => ws.cleanup());

/** Write the manifest into the workspace `ws/`; its text, for line numbers. */
function write(profiles: Record<string, unknown>): string {
  const text = JSON.stringify({ profiles }, null, 2);
  writeFileSync(join(ws.path, 'ws', 'manifest.json'), text);
  return text;
}
const lineOf = (text: string, needle: string): number =>
  text.split('\n').findIndex((l) => l.includes(needle)) + 1;

async function refusal(options: { workspace?: string } = {}): Promise<QuantError> {
  const error = await checkManifestFile(join(ws.path, 'ws', 'manifest.json'), options).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(isQuantError(error), `a coded refusal: ${String(error)}`);
  return error;
}

describe('a meta profile with fewer than 2 sleeves', () => {
  test('is a problem at its sleeves, with its line, listed with the schema problems of other profiles', async () => {
    const text = write({
      s1: sleeve('a.csv'),
      s2: sleeve('b.csv'),
      broken: { sleeves: pair, risk_profile: ['hrp'] },
      solo: { sleeves: [{ id: 'only', profile: 's1' }] },
    });
    const e = await refusal();
    assert.equal(e.code, 'E_MANIFEST', `code: ${e.message}`);
    const problems = (e.details['problems'] ?? []) as { path: string; line: number; message: string }[];
    const solo = problems.find((p) => p.path === 'profiles.solo.sleeves');
    assert.ok(solo !== undefined, `the lone sleeve is listed: ${e.message}`);
    assert.equal(solo.line, lineOf(text, '"solo"') + 1, 'the line of its sleeves');
    assert.match(
      solo.message,
      /at least 2 sleeves, this one has 1: every run of it fails with E_TOO_FEW_SLEEVES/,
      solo.message,
    );
    assert.ok(
      problems.some((p) => p.path === 'profiles.broken.risk_profile'),
      `the other profile's schema problem is listed too: ${e.message}`,
    );
    assert.match(
      e.message,
      /profiles broken, solo are invalid: 2 problems/,
      'both profiles, in document order',
    );
  });

  test('a nested one too (its parent would exclude it every time); two sleeves are fine', async () => {
    write({
      s1: sleeve('a.csv'),
      s2: sleeve('b.csv'),
      inner: { sleeves: [{ id: 'x', profile: 's2' }] },
      root: {
        sleeves: [
          { id: 'a', profile: 's1' },
          { id: 'n', meta_profile: 'inner' },
        ],
      },
    });
    const e = await refusal();
    assert.match(
      e.message,
      /^.*profile inner is invalid: 1 problem: profiles\.inner\.sleeves \(line \d+\)/,
      e.message,
    );
    write({ s1: sleeve('a.csv'), s2: sleeve('b.csv'), root: { sleeves: pair } });
    const ok = await checkManifestFile(join(ws.path, 'ws', 'manifest.json'));
    assert.deepEqual(ok.metaProfiles, ['root'], 'a two-sleeve profile passes');
  });
});

describe("a trades block's files, given the workspace", () => {
  const withTrades = (trades: Record<string, unknown>): string =>
    write({
      s1: sleeve('a.csv'),
      s2: sleeve('b.csv'),
      root: {
        sleeves: pair,
        risk_profiles: ['hrp'],
        trades: { nav: 1e6, risk_profiles: ['hrp'], ...trades },
      },
    });

  test('a missing prices file is E_INPUT_NOT_FOUND naming the key; without a workspace it is not read', async () => {
    withTrades({ prices: 'prices.csv' });
    const e = await refusal({ workspace: join(ws.path, 'ws') });
    assert.equal(e.code, 'E_INPUT_NOT_FOUND', `code: ${e.message}`);
    assert.match(
      e.message,
      /^profiles\.root\.trades\.prices: input file .*prices\.csv does not exist/,
      e.message,
    );
    await assert.doesNotReject(
      checkManifestFile(join(ws.path, 'ws', 'manifest.json')),
      'without a workspace the files are not checked',
    );
  });

  test('a file outside the workspace is E_PATH_ESCAPE at its key', async () => {
    writeFileSync(join(ws.path, 'holdings.csv'), 'symbol,quantity\nA,1\n');
    writeFileSync(join(ws.path, 'ws', 'prices.csv'), 'symbol,price\nA,10\nB,20\n');
    withTrades({ prices: 'prices.csv', holdings: '../holdings.csv' });
    const e = await refusal({ workspace: join(ws.path, 'ws') });
    assert.equal(e.code, 'E_PATH_ESCAPE', `code: ${e.message}`);
    assert.match(e.message, /^profiles\.root\.trades\.holdings: /, e.message);
  });

  test("a bad row keeps its table's file and line; good tables pass", async () => {
    writeFileSync(join(ws.path, 'ws', 'prices.csv'), 'symbol,price\nA,10\nB,-20\n');
    withTrades({ prices: 'prices.csv' });
    const e = await refusal({ workspace: join(ws.path, 'ws') });
    assert.equal(e.code, 'E_INPUT_VALUE', `code: ${e.message}`);
    assert.match(e.message, /^profiles\.root\.trades\.prices: /, e.message);
    assert.equal(e.location?.line, 3, `the line of the bad row: ${JSON.stringify(e.location)}`);
    writeFileSync(join(ws.path, 'ws', 'prices.csv'), 'symbol,price\nA,10\nB,20\n');
    writeFileSync(join(ws.path, 'ws', 'lots.csv'), 'symbol,lot_size,min_ticket\nA,10,0\n');
    withTrades({ prices: 'prices.csv', lots: 'lots.csv' });
    const ok = await checkManifestFile(join(ws.path, 'ws', 'manifest.json'), {
      workspace: join(ws.path, 'ws'),
    });
    assert.deepEqual(ok.metaProfiles, ['root'], 'good tables pass');
  });
});

describe('the benchmark and risk-free files of a meta profile', () => {
  test('a benchmark column not in its file is E_INPUT_COLUMN at the JSON path and line, with a did-you-mean', async () => {
    writeFileSync(
      join(ws.path, 'ws', 'bench.csv'),
      'date,SPI,SMI\n2024-01-02,100,50\n2024-01-03,101,51\n2024-01-04,102,50\n',
    );
    const text = write({
      s1: sleeve('a.csv'),
      s2: sleeve('b.csv'),
      m: { sleeves: pair, benchmarks: [{ id: 'spi', file: 'bench.csv', column: 'SPX' }] },
    });
    const e = await refusal({ workspace: join(ws.path, 'ws') });
    assert.equal(e.code, 'E_INPUT_COLUMN', `code: ${e.message}`);
    assert.match(e.message, /column "SPX" is not in bench\.csv \(did you mean "SPI"\?\)/, e.message);
    assert.equal(e.location?.jsonPath, 'profiles.m.benchmarks[0].column', 'the JSON path of the column');
    assert.equal(e.location?.line, lineOf(text, '"SPX"'), 'the line of the column');
    writeFileSync(join(ws.path, 'ws', 'manifest.json'), text.replace('"SPX"', '"SPI"'));
    const ok = await checkManifestFile(join(ws.path, 'ws', 'manifest.json'), {
      workspace: join(ws.path, 'ws'),
    });
    assert.deepEqual(ok.metaProfiles, ['m'], 'with the right column the manifest passes');
  });
});

describe("a sleeve profile's prices, given the workspace", () => {
  test('a missing file is E_INPUT_NOT_FOUND at the sleeve key and its line; without a workspace it is not read', async () => {
    const text = write({ s1: sleeve('typo.csv'), s2: sleeve('b.csv') });
    const e = await refusal({ workspace: join(ws.path, 'ws') });
    assert.equal(e.code, 'E_INPUT_NOT_FOUND', e.message);
    assert.match(
      e.message,
      /^sleeve profile "s1": prices "typo\.csv": input file .*typo\.csv does not exist/,
      e.message,
    );
    assert.equal(e.location?.jsonPath, 'profiles.s1.sleeve.prices', 'the key');
    assert.equal(e.location?.line, lineOf(text, '"typo.csv"'), 'its line');
    assert.match(e.hint ?? '', /fix profiles\.s1\.sleeve\.prices/, 'the hint names the key');
    const ok = await checkManifestFile(join(ws.path, 'ws', 'manifest.json'));
    assert.deepEqual(ok.sleeveProfiles, ['s1', 's2'], 'without a workspace the schema alone is checked');
  });

  test('an asset that is not a column is E_INPUT_COLUMN with a did-you-mean', async () => {
    write({
      s1: sleeve('a.csv'),
      s2: { sleeve: { prices: 'b.csv', assets: ['A', 'b'], risk_profiles: ['hrp'] } },
    });
    const e = await refusal({ workspace: join(ws.path, 'ws') });
    assert.equal(e.code, 'E_INPUT_COLUMN', e.message);
    assert.match(e.hint ?? '', /fix profiles\.s2\.sleeve\.assets\[1\] \(did you mean "B"/, e.hint);
  });
});

describe('every refused input file is listed, not only the first', () => {
  test('two meta profiles each naming a bad turnover.holdings file: both files with their lines', async () => {
    writeFileSync(join(ws.path, 'ws', 'h1.csv'), 'sleeve,weight\nzz,0.5\n');
    writeFileSync(join(ws.path, 'ws', 'h2.csv'), 'sleeve,weight\na,0.5\nb,abc\n');
    const text = write({
      s1: sleeve('a.csv'),
      s2: sleeve('b.csv'),
      m1: { sleeves: pair, turnover: { max_turnover: 0.1, holdings: 'h1.csv' } },
      m2: { sleeves: pair, turnover: { max_turnover: 0.1, holdings: 'h2.csv' } },
    });
    const e = await refusal({ workspace: join(ws.path, 'ws') });
    assert.equal(e.code, 'E_INPUT_VALUE', `the first refusal's code: ${e.message}`);
    assert.match(e.message, /2 input files are refused/, e.message);
    assert.match(e.message, /profiles\.m1\.turnover\.holdings \(line \d+\): h1\.csv:2: "zz"/, e.message);
    assert.match(
      e.message,
      /profiles\.m2\.turnover\.holdings \(line \d+\): h2\.csv:3: weight "abc"/,
      e.message,
    );
    assert.deepEqual(e.location, { file: 'h1.csv', line: 2 }, 'the first refusal locates the error');
    assert.deepEqual(
      e.issues.map((i) => i.path),
      ['h1.csv', 'h2.csv'],
      `one issue per file: ${JSON.stringify(e.issues)}`,
    );
    assert.ok(lineOf(text, '"h2.csv"') > lineOf(text, '"h1.csv"'), 'in manifest order');
  });

  test('a missing prices file and a bad holdings file are listed together; one bad file alone is unchanged', async () => {
    writeFileSync(join(ws.path, 'ws', 'h1.csv'), 'sleeve,weight\na,2\n');
    write({
      s1: sleeve('typo.csv'),
      s2: sleeve('b.csv'),
      m1: { sleeves: pair, turnover: { max_turnover: 0.1, holdings: 'h1.csv' } },
    });
    const both = await refusal({ workspace: join(ws.path, 'ws') });
    assert.equal(both.code, 'E_INPUT_NOT_FOUND', `the first checked gives the code: ${both.message}`);
    assert.match(both.message, /2 input files are refused: E_INPUT_NOT_FOUND: .*typo\.csv/, both.message);
    assert.match(both.message, /; E_INPUT_VALUE: .*h1\.csv:2: weight "2"/, both.message);
    writeFileSync(join(ws.path, 'ws', 'h1.csv'), 'sleeve,weight\na,0.2\n');
    const one = await refusal({ workspace: join(ws.path, 'ws') });
    assert.equal(one.code, 'E_INPUT_NOT_FOUND', one.message);
    assert.match(one.message, /^sleeve profile "s1": prices "typo\.csv"/, `unchanged: ${one.message}`);
  });
});
