// The report's Limits section: every limit of every level (the box per sleeve, a sleeve's own bounds, a
// group limit of a nested level, the root's exposure caps and one row for the symbols no sleeve can push
// over the cap), its value, what the final weights reach and whether it binds (1e-9), in Markdown and
// HTML. The renderer on hand-made rows; the loader through the SDK on a two-level tree where the group
// limit and the cap bind for equal_weight.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/index.js';
import { limitsBlock, limitsRows } from '../../../../src/report/_limits-section.js';
import { loadLimitsSection } from '../../../../src/stages/meta/_report-limits.js';
import type { FlattenedDoc, OptimizedDoc } from '../../../../src/stages/meta/_report-docs.js';
import type { LimitsSection } from '../../../../src/report/index.js';
import type { MetaOptimizedDoc } from '../../../../src/stages/meta/_artifact-types.js';
import { tempDir } from '../../artifacts/_temp.js';
import { businessDays, writeHoldingSleeves, writeManifest } from '../../../helpers/sleeve-fixtures.js';

const HAND: LimitsSection = {
  tolerance: 1e-9,
  omitted: [],
  rows: [
    {
      level: '',
      profile: 'm',
      kind: 'sleeve_box',
      name: 'box inner',
      members: ['inner'],
      min: 0.1,
      max: 0.9,
      value: 0.5,
      binding: false,
    },
    {
      level: '',
      profile: 'm',
      kind: 'exposure',
      name: 'cap NYSE:Z',
      members: ['NYSE:Z'],
      min: -0.3,
      max: 0.3,
      value: 0.3,
      binding: true,
    },
    {
      level: '',
      profile: 'm',
      kind: 'exposure_rest',
      name: 'cap other symbols',
      members: ['SIX:X', 'SIX:Y'],
      min: -0.3,
      max: 0.3,
      value: -0.2,
      binding: false,
    },
    {
      level: 'inner',
      profile: 'm_inner',
      kind: 'group',
      name: 'group eq',
      members: ['a', 'b'],
      min: 0,
      max: 0.5,
      value: 0.5,
      binding: true,
    },
    {
      level: 'inner',
      profile: 'm_inner',
      kind: 'turnover',
      name: 'turnover',
      members: ['a', 'b', 'c'],
      min: 0,
      max: 0.2,
      value: 0.1,
      binding: false,
    },
  ],
};

describe('limits table (renderer)', () => {
  test('level, limit in words, members, range, achieved value, binds', () => {
    assert.deepEqual(
      limitsRows(HAND),
      [
        ['root `m`', 'sleeve box (meta_allocation)', '`inner`', '[10.00%, 90.00%]', '50.00%', 'no'],
        ['root `m`', 'cap per symbol', '`NYSE:Z`', '|net| ≤ 30.00%', '30.00%', '**binds**'],
        [
          'root `m`',
          'cap per symbol, every other symbol',
          '2 symbols, the largest `SIX:X`',
          '|net| ≤ 30.00%',
          '-20.00%',
          'no',
        ],
        ['`inner` (`m_inner`)', 'group `eq`', '`a` + `b`', '[0.00%, 50.00%]', '50.00%', '**binds**'],
        ['`inner` (`m_inner`)', 'turnover', '`a` + `b` + `c`', '[0.00%, 20.00%]', '10.00%', 'no'],
      ],
      'limitsRows(HAND)',
    );
    const block = limitsBlock(HAND);
    assert.match(block, /within 1e-9 of a bound: 2 of 5 bind\./, 'the count of binding limits');
    assert.ok(block.includes('| `inner` (`m_inner`) | group `eq` |'), 'the table row of the group');
  });
});

describe('limits table (root caps no sleeve alone can break)', () => {
  const asset = (Symbol: string, Net_Weight: number) => ({
    Symbol,
    Weight: Math.abs(Net_Weight),
    Net_Weight,
    Direction: Net_Weight < 0 ? 'SHORT' : 'LONG',
    Contributors: {},
  });
  const flattened: FlattenedDoc = {
    schema_version: 1,
    assets: [
      asset('QATSC', 0.2),
      asset('UTIL', 0.0636),
      asset('SIX:A', 0.15),
      asset('SIX:B', -0.05),
      asset('CONG', 0.14),
      asset('TELE', 0.12),
    ],
    totals: { gross: 0.7236, net: 0.6236, long: 0.6736, short: 0.05 },
    missing: [],
    weights_fallbacks: [],
  };
  const optimized: OptimizedDoc = {
    schema_version: 1,
    method: 'hrp',
    requested_method: 'hrp',
    sleeves: [{ id: 'a', weight: 1 }],
    bounds: { min_weight: 0, max_weight: 1 },
    limits: [
      {
        name: 'cap QATSC',
        kind: 'exposure',
        members: ['QATSC'],
        min: -0.2,
        max: 0.2,
        value: 0.2,
      },
    ],
    parameters: {},
    exposure_caps: {
      max_weight: 0.2,
      symbols: { UTIL: 0.1, GONE: 0.05 },
      prefixes: { 'SIX:': 0.3, 'NYSE:': 0.1 },
    },
    fallback_chain: [],
  };

  test('every cap shows with its position; the rest row counts the other held symbols', async () => {
    const section = await loadLimitsSection(
      { runDir: '/nonexistent', metaProfile: 'w', recordInput: () => undefined },
      'hrp',
      { optimized, manifest: undefined, flattened },
    );
    const caps = limitsRows(section).filter((r) => r[1] !== 'sleeve box (meta_allocation)');
    assert.deepEqual(
      caps,
      [
        ['root `w`', 'cap per symbol', '`QATSC`', '|net| ≤ 20.00%', '20.00%', '**binds**'],
        ['root `w`', 'cap per symbol', '`GONE`', '|net| ≤ 5.00%', '0.00%', 'no'],
        ['root `w`', 'cap per symbol', '`UTIL`', '|net| ≤ 10.00%', '6.36%', 'no'],
        ['root `w`', 'cap on prefix `NYSE:`', 'no symbol held', '|net| ≤ 10.00%', '0.00%', 'no'],
        ['root `w`', 'cap on prefix `SIX:`', '`SIX:A` + `SIX:B`', '|net| ≤ 30.00%', '10.00%', 'no'],
        [
          'root `w`',
          'cap per symbol, every other symbol',
          '4 symbols, the largest `SIX:A`',
          '|net| ≤ 20.00%',
          '15.00%',
          'no',
        ],
      ],
      'the recorded cap, the two symbol caps, the two prefix caps, then the four other held symbols',
    );
    const rest = section.rows.find((r) => r.kind === 'exposure_rest');
    const own = section.rows.filter((r) => r.kind === 'exposure' && !r.name.startsWith('prefix '));
    const held = new Set(own.flatMap((r) => r.members).filter((m) => m !== 'GONE'));
    assert.equal(
      held.size + (rest?.members.length ?? 0),
      flattened.assets.length,
      'every held symbol is counted once, in its own row or in the rest row',
    );
  });
});

const HOLDINGS: Record<string, [string, number][]> = {
  a: [['SIX:X', 1]],
  b: [['SIX:Y', 1]],
  c: [['SIX:W', 1]],
  d: [['NYSE:Z', 1]],
};
const PROFILES = ['min_variance', 'equal_weight'];

const MANIFEST = {
  profiles: {
    m_inner: {
      sleeves: [
        { id: 'a', profile: 's_a', tags: ['eq'] },
        { id: 'b', profile: 's_b', tags: ['eq'], max_weight: 0.6 },
        { id: 'c', profile: 's_c' },
      ],
      group_limits: { eq: [0, 0.5] },
    },
    m: {
      sleeves: [
        { id: 'inner', meta_profile: 'm_inner' },
        { id: 'd', profile: 's_d' },
      ],
      meta_allocation: { min_weight: 0.1, max_weight: 0.9 },
      exposure_limits: { max_weight: 0.45 },
      risk_profiles: PROFILES,
    },
  },
};

/** The Limits table of one risk profile of the Markdown report, as rows of cells. */
function limitsTable(report: string, P: string): string[][] {
  const start = report.indexOf(`## Risk profile \`${P}\``);
  const at = report.indexOf('### Limits', start);
  const end = report.indexOf('\n### ', at + 1);
  return report
    .slice(at, end)
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| Level') && !l.startsWith('| ---'))
    .map((l) =>
      l
        .slice(2, -2)
        .split(/(?<!\\) \| /)
        .map((c) => c.replace(/\\\|/g, '|')),
    );
}

describe('limits table (report through the SDK)', { timeout: 180_000 }, () => {
  let runDir: string;
  let report: string;
  let html: string;
  before(async () => {
    const ws = tempDir('mf-report-limits-');
    const dates = businessDays('2024-01-01', 120);
    await writeHoldingSleeves(ws, HOLDINGS, PROFILES, dates, (i, k) => ({
      seed: 71 + i * 3 + k,
      vol: 0.004 + 0.003 * i,
    }));
    await writeManifest(ws, MANIFEST);
    const run = await QuantSDK.runMeta('m', { workspace: ws, runId: 'r', backtest: false, cache: false });
    runDir = run.runDir;
    report = readFileSync(run.reportPath, 'utf8');
    html = readFileSync(run.htmlReportPath, 'utf8');
  });

  const doc = (M: string, P: string): MetaOptimizedDoc =>
    JSON.parse(
      readFileSync(join(runDir, 'data', `meta_optimized_${M}_${P}.json`), 'utf8'),
    ) as MetaOptimizedDoc;

  for (const P of PROFILES) {
    test(`${P}: every limit of both levels with its achieved value; binds exactly when on a bound`, () => {
      const rows = limitsTable(report, P);
      const root = doc('m', P);
      const inner = doc('m_inner', P);
      const caps = (root.limits ?? []).filter((l) => l.kind === 'exposure');
      // Root: two boxes, the cap rows, the other symbols; inner: a's box, b's own bounds, c's box, the group.
      assert.equal(rows.length, 2 + caps.length + 1 + 4, `${P}: rows ${JSON.stringify(rows)}`);
      const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
      const onBound = (v: number, lo: number, hi: number): boolean =>
        Math.abs(v - lo) <= 1e-9 || Math.abs(v - hi) <= 1e-9;
      for (const [k, s] of root.sleeves.entries()) {
        const row = rows[k] ?? [];
        assert.deepEqual(
          row.slice(0, 3),
          ['root `m`', 'sleeve box (meta_allocation)', `\`${s.id}\``],
          `${P} box`,
        );
        assert.equal(row[4], pct(s.weight), `${P}: ${s.id}'s weight`);
        assert.equal(
          row[5] === '**binds**',
          onBound(s.weight, 0.1, 0.9),
          `${P}: ${s.id} binds iff on 10/90 %`,
        );
      }
      const innerRows = rows.slice(-4);
      const w = inner.weights;
      assert.deepEqual(
        innerRows.map((r) => r.slice(1, 4)),
        [
          ['sleeve box (meta_allocation)', '`a`', '[0.00%, 100.00%]'],
          ['sleeve bounds', '`b`', '[0.00%, 60.00%]'],
          ['sleeve box (meta_allocation)', '`c`', '[0.00%, 100.00%]'],
          ['group `eq`', '`a` + `b`', '[0.00%, 50.00%]'],
        ],
        `${P}: the inner level's limits in sleeve order, then the group`,
      );
      const eq = (w['a'] as number) + (w['b'] as number);
      assert.equal(innerRows[3]?.[4], pct(eq), `${P}: the group's summed weight`);
      assert.equal(
        innerRows[3]?.[5] === '**binds**',
        onBound(eq, 0, 0.5),
        `${P}: group binds iff on a bound`,
      );
      for (const cap of caps) {
        const row = rows.find((r) => r[2] === `\`${cap.members[0]}\``);
        assert.ok(row !== undefined, `${P}: a row for ${cap.name}`);
        assert.equal(row[3], '|net| ≤ 45.00%', `${P}: ${cap.name}'s range`);
        assert.equal(
          row[5] === '**binds**',
          Math.abs(Math.abs(cap.value) - 0.45) <= 1e-9,
          `${P}: ${cap.name}`,
        );
      }
    });
  }

  test('equal_weight: the group limit (projected) and the cap on NYSE:Z bind', () => {
    const rows = limitsTable(report, 'equal_weight');
    const group = rows.find((r) => r[1] === 'group `eq`');
    assert.deepEqual(group?.slice(4), ['50.00%', '**binds**'], 'a + b held at 50 %');
    const cap = rows.find((r) => r[2] === '`NYSE:Z`');
    assert.deepEqual(cap?.slice(3), ['|net| ≤ 45.00%', '45.00%', '**binds**'], 'd held at its 45 % cap');
    const rest = rows.find((r) => r[1] === 'cap per symbol, every other symbol');
    assert.match(rest?.[2] ?? '', /^2 symbols, the largest `SIX:[XY]`$/, 'the uncapped symbols in one row');
    assert.equal(rest?.[5], 'no', 'their largest position is below the cap');
  });

  test('the HTML report carries the same table', () => {
    assert.ok(html.includes('<h3>Limits</h3>'), 'a Limits section');
    assert.ok(html.includes('group <code>eq</code>'), 'the group row in HTML');
  });
});

// m3 → mid (m3_mid) → low (m3_low): both nested levels cap positions no sleeve alone can push over the
// cap (every sleeve holds one symbol at 100 % and is boxed at 60 % of its level), so their optimizers
// write no cap row; the report still lists each cap with the level's own position against it.
const NESTED_CAPS = {
  profiles: {
    m3_low: {
      sleeves: [
        { id: 'a', profile: 's_a' },
        { id: 'b', profile: 's_b' },
      ],
      meta_allocation: { min_weight: 0.4, max_weight: 0.6 },
      exposure_limits: { symbols: { 'SIX:X': 0.7 }, prefixes: { 'SIX:': 1 } },
    },
    m3_mid: {
      sleeves: [
        { id: 'low', meta_profile: 'm3_low' },
        { id: 'c', profile: 's_c' },
      ],
      meta_allocation: { min_weight: 0.4, max_weight: 0.6 },
      exposure_limits: { max_weight: 0.65 },
    },
    m3: {
      sleeves: [
        { id: 'mid', meta_profile: 'm3_mid' },
        { id: 'd', profile: 's_d' },
      ],
      risk_profiles: ['equal_weight'],
    },
  },
};

describe('limits table (caps of nested levels)', { timeout: 180_000 }, () => {
  test('every nested level lists its caps with its level path and its own position against each', async () => {
    const ws = tempDir('mf-report-nested-caps-');
    await writeHoldingSleeves(ws, HOLDINGS, ['equal_weight'], businessDays('2024-01-01', 120), (i, k) => ({
      seed: 91 + i * 3 + k,
      vol: 0.004 + 0.003 * i,
    }));
    await writeManifest(ws, NESTED_CAPS);
    const run = await QuantSDK.runMeta('m3', { workspace: ws, runId: 'r', backtest: false, cache: false });
    const rows = limitsTable(readFileSync(run.reportPath, 'utf8'), 'equal_weight');
    const caps = rows.filter((r) => r[1]?.startsWith('cap '));
    // equal_weight: low holds a and b at 50 % each (SIX:X, SIX:Y); mid holds low and c at 50 % each, so
    // in mid SIX:W (c alone could break 65 %: the optimizer's row) is 50 %, SIX:X and SIX:Y 25 % each.
    assert.deepEqual(
      caps,
      [
        ['`mid` (`m3_mid`)', 'cap per symbol', '`SIX:W`', '|net| ≤ 65.00%', '50.00%', 'no'],
        [
          '`mid` (`m3_mid`)',
          'cap per symbol, every other symbol',
          '2 symbols, the largest `SIX:X`',
          '|net| ≤ 65.00%',
          '25.00%',
          'no',
        ],
        ['`mid/low` (`m3_low`)', 'cap per symbol', '`SIX:X`', '|net| ≤ 70.00%', '50.00%', 'no'],
        [
          '`mid/low` (`m3_low`)',
          'cap on prefix `SIX:`',
          '`SIX:X` + `SIX:Y`',
          '|net| ≤ 100.00%',
          '100.00%',
          '**binds**',
        ],
      ],
      `the nested levels' caps, each against its level's flattened positions: ${JSON.stringify(rows)}`,
    );
  });
});
