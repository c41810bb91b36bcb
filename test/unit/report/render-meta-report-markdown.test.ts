import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isOmitted,
  renderMetaReportMarkdown,
  type MetaReportData,
  type RiskProfileReport,
} from '../../../src/report/index.js';
import { cell, code, num, pct, table } from '../../../src/report/_markdown.js';

const full: RiskProfileReport = {
  riskProfile: 'hrp',
  firstDate: '2024-01-02',
  lastDate: '2024-06-28',
  periodsPerYear: 252,
  periodsPerYearSource: 'meta manifest calendar',
  frequency: 'daily',
  metrics: {
    observations: 125,
    cagr: 0.123456,
    volatility: 0.2,
    sharpe: 1.23456,
    sortino: null,
    maxDrawdown: 0.0512,
    calmar: 2.41125,
    winRate: 0.536,
    effectiveN: 1.8,
  },
  allocation: {
    method: 'inverse_variance',
    requestedMethod: 'hrp',
    minWeight: 0.05,
    maxWeight: 0.5,
    fallbacks: [{ method: 'hrp', code: 'E_SINGULAR_COVARIANCE', message: 'matrix | singular' }],
    sleeves: [
      {
        id: 'swiss',
        kind: 'meta',
        profile: 'meta_swiss',
        runId: null,
        weight: 0.5,
        figures: { cagr: 0.1, volatility: 0.15, sharpe: 0.66666, maxDrawdown: 0.04 },
      },
      {
        id: 'gulf',
        kind: 'atomic',
        profile: 'gulf_equity',
        runId: 'gulf_20260101-000000',
        weight: 0.5,
        figures: { cagr: -0.00001, volatility: 0.3, sharpe: null, maxDrawdown: 0.1 },
      },
    ],
  },
  correlation: {
    ids: ['swiss', 'gulf'],
    values: [
      [1, 0.254],
      [0.254, 1],
    ],
  },
  assets: {
    top: [
      {
        symbol: 'NESN',
        direction: 'LONG',
        gross: 0.3,
        net: 0.3,
        contributors: [{ path: 'swiss/sectors', contribution: 0.3 }],
      },
      {
        symbol: 'CME_MINI:ES1!',
        direction: 'SHORT',
        gross: 0.1,
        net: -0.1,
        contributors: [{ path: 'gulf', contribution: -0.1 }],
      },
    ],
    limit: 20,
    assetCount: 2,
    totals: { gross: 0.4, net: 0.2, long: 0.3, short: -0.1 },
    missing: [{ path: 'swiss/balanced', reason: 'no portfolio_flattened.json' }],
    fallbacks: [{ path: 'gulf', reason: 'no hrp weights in data/portfolio_flattened.json' }],
  },
  health: {
    sleeves: [
      { id: 'swiss', windows: 0, successes: 0, successRate: null, healthy: true },
      { id: 'gulf', windows: 10, successes: 9, successRate: 0.9, healthy: true },
    ],
    excluded: [
      {
        id: 'crypto',
        kind: 'atomic',
        profile: 'crypto',
        runId: 'c1',
        reason: 'health',
        detail: '5 of 10 windows | 50 %',
      },
    ],
    warnings: ['swiss: no backtest_optimize records; counted as healthy'],
  },
  anomalies: {
    window: 21,
    sharpeLimit: 10,
    volatilityLimit: 2,
    series: ['portfolio', 'swiss', 'gulf'],
    windows: [
      {
        series: 'gulf',
        start: '2024-02-01',
        end: '2024-02-29',
        rows: 21,
        sharpe: 12.5,
        volatility: 0.8,
        breaches: ['sharpe'],
      },
    ],
  },
  calendar: {
    commonRows: 125,
    firstDate: '2024-01-02',
    lastDate: '2024-06-28',
    weekendDates: false,
    periodsPerYear: 252,
    sleeves: [
      { id: 'swiss', rows: 130, kept: 125, intersectionLoss: 5 / 130 },
      { id: 'gulf', rows: 200, kept: 125, intersectionLoss: 0.375 },
    ],
  },
  nested: {
    branches: [
      {
        path: 'swiss',
        profile: 'meta_swiss',
        weightInParent: 0.5,
        effectiveWeight: 0.5,
        branchWeights: 'optimized',
        allocation: {
          method: 'hrp',
          sleeves: [
            { id: 'sectors', kind: 'atomic', weight: 0.6, effectiveWeight: 0.3 },
            { id: 'balanced', kind: 'atomic', weight: 0.4, effectiveWeight: 0.2 },
          ],
        },
      },
    ],
  },
};

const degraded: RiskProfileReport = {
  ...full,
  riskProfile: 'min_variance',
  allocation: { ...full.allocation, method: 'min_variance', requestedMethod: 'min_variance', fallbacks: [] },
  correlation: null,
  assets: { omitted: 'data/portfolio_optimized_meta_meta_global_min_variance.json' },
  health: { omitted: 'data/meta_manifest_meta_global_min_variance.json' },
  calendar: { omitted: 'data/meta_manifest_meta_global_min_variance.json' },
  nested: { omitted: 'data/meta_manifest_meta_global_min_variance.json' },
  anomalies: { ...full.anomalies, windows: [] },
};

const data: MetaReportData = {
  metaProfile: 'meta_global',
  runId: 'meta_global_20260101-000000',
  createdAt: '2026-01-01T00:00:00Z',
  toolVersion: '0.1.0',
  riskProfiles: [full, degraded],
};

const md = renderMetaReportMarkdown(data);
const section = (from: string, to: string): string => {
  const a = md.indexOf(from);
  const b = md.indexOf(to, a + from.length);
  assert.ok(a >= 0 && b > a, `section ${from} .. ${to}`);
  return md.slice(a, b);
};

describe('renderMetaReportMarkdown', () => {
  test('title with the meta profile, run id and the given creation time', () => {
    assert.ok(
      md.startsWith(
        '# Meta portfolio report: `meta_global`\n\n- Run: `meta_global_20260101-000000`\n- Created: 2026-01-01T00:00:00Z\n',
      ),
      "md.startsWith('# Meta portfolio report: `meta_global`\\n\\n- Run: `meta…",
    );
    assert.match(
      md,
      /^- Risk profiles: `hrp`, `min_variance`$/m,
      'md matches /^- Risk profiles: `hrp`, `min_variance`$/m',
    );
    assert.ok(md.endsWith('\n') && !md.endsWith('\n\n'), "md.endsWith('\\n') && !md.endsWith('\\n\\n')");
  });

  test('summary table across risk profiles with fixed decimals', () => {
    const summary = section('## Summary', '## Risk profile');
    assert.match(
      summary,
      /^\| Risk profile \| Method \| Days \| CAGR \| Volatility \| Sharpe \| Sortino \| Max DD \| Calmar \| Win rate \| Eff\. N \|$/m,
      'summary matches /^\\| Risk profile \\| Method \\| Days \\| CAGR \\| Volatility \\…',
    );
    assert.match(
      summary,
      /^\| --- \| --- \| ---: \| ---: \|/m,
      'summary matches /^\\| --- \\| --- \\| ---: \\| ---: \\|/m',
    );
    assert.ok(
      summary.includes(
        '| `hrp` | `inverse_variance` (fallback) | 125 | 12.35% | 20.00% | 1.23 | n/a | 5.12% | 2.41 | 53.60% | 1.80 |',
      ),
      "summary includes '| `hrp` | `inverse_variance` (fallback) | 125 | 12.35% | 2…",
    );
    assert.ok(
      summary.includes('| `min_variance` | `min_variance` | 125 |'),
      "summary includes '| `min_variance` | `min_variance` | 125 |'",
    );
  });

  test('every performance figure is labelled in sample (fit period) or out of sample (walk-forward)', () => {
    const summary = section('## Summary', '## Risk profile');
    const inSample = summary.indexOf('In sample (fit period): ');
    const table = summary.indexOf('| Risk profile | Method |');
    assert.ok(inSample > 0 && inSample < table, 'the first summary table is introduced as in sample');
    for (const p of ['hrp', 'min_variance']) {
      const start = md.indexOf(`## Risk profile \`${p}\``);
      const metrics = md.indexOf('### Metrics, in sample (fit period)\n\nIn sample (fit period): ', start);
      assert.ok(metrics > start, `${p}: the metrics section is labelled in sample`);
    }
    assert.match(
      md,
      /Sleeve figures, in sample \(fit period\), /,
      'the sleeve figures of the allocation table are labelled in sample',
    );
  });

  test('every section of DESIGN §8 per risk profile, in order', () => {
    const titles = [
      'Metrics, in sample (fit period)',
      'Sleeve allocation',
      'Sleeve correlation',
      'Top physical assets',
      'Sleeve health',
      'Anomalies',
      'Calendar',
      'Nested sub-metas',
    ];
    for (const p of ['hrp', 'min_variance']) {
      const start = md.indexOf(`## Risk profile \`${p}\``);
      assert.ok(start > 0, p);
      let at = start;
      for (const t of titles) {
        const next = md.indexOf(`### ${t}\n`, at);
        assert.ok(next > at, `${p}: ${t}`);
        at = next;
      }
    }
    assert.ok(
      md.indexOf('## Appendix: definitions') > md.indexOf('## Risk profile `min_variance`'),
      "md.indexOf('## Appendix: definitions') > md.indexOf('## Risk profile …",
    );
  });

  test('metrics, allocation with method and fallback, correlation', () => {
    const hrp = section('## Risk profile `hrp`', '### Top physical assets');
    assert.ok(
      hrp.includes(
        '125 daily returns from 2024-01-02 to 2024-06-28; annualisation A = 252 (meta manifest calendar).',
      ),
      "hrp includes '125 daily returns from 2024-01-02 to 2024-06-28; annualisa…",
    );
    assert.ok(hrp.includes('| Sortino ratio | n/a |'), "hrp includes '| Sortino ratio | n/a |'");
    assert.ok(
      hrp.includes('Method: `inverse_variance` (requested `hrp`). Fallbacks:'),
      "hrp includes 'Method: `inverse_variance` (requested `hrp`). Fallbacks:'",
    );
    assert.ok(
      hrp.includes('- `hrp` failed with `E_SINGULAR_COVARIANCE`: matrix \\| singular'),
      "hrp includes '- `hrp` failed with `E_SINGULAR_COVARIANCE`: matrix \\\\| si…",
    );
    // −0.001 % rounds to 0.00 %: no negative zero.
    assert.ok(
      hrp.includes(
        '| `gulf` | atomic | `gulf_equity` | `gulf_20260101-000000` | 50.00% (at max) | [5.00%, 50.00%] | 0.00% | 30.00% | n/a | 10.00% |',
      ),
      "hrp includes '| `gulf` | atomic | `gulf_equity` | `gulf_20260101-000000`…",
    );
    assert.ok(
      hrp.includes('| `swiss` | meta | `meta_swiss` | n/a | 50.00% (at max) |'),
      "hrp includes '| `swiss` | meta | `meta_swiss` | n/a | 50.00% (at max) |'",
    );
    assert.ok(hrp.includes('Sum of weights: 100.00%.'), "hrp includes 'Sum of weights: 100.00%.'");
    assert.ok(
      hrp.includes(
        '|  | `swiss` | `gulf` |\n| --- | ---: | ---: |\n| `swiss` | 1.00 | 0.25 |\n| `gulf` | 0.25 | 1.00 |',
      ),
      "hrp includes '| | `swiss` | `gulf` |\\n| --- | ---: | ---: |\\n| `swiss` |…",
    );
  });

  test('assets, health, anomalies, calendar warning, nested sub-metas', () => {
    const hrp = section('## Risk profile `hrp`', '## Risk profile `min_variance`');
    assert.ok(
      hrp.includes(
        '2 physical assets; gross 40.00%, net 20.00%, long 30.00%, short -10.00%. Top 2 by gross weight:',
      ),
      "hrp includes '2 physical assets; gross 40.00%, net 20.00%, long 30.00%, …",
    );
    assert.ok(
      hrp.includes('| 2 | `CME_MINI:ES1!` | SHORT | 10.00% | -10.00% | `gulf` -10.00% |'),
      "hrp includes '| 2 | `CME_MINI:ES1!` | SHORT | 10.00% | -10.00% | `gulf` …",
    );
    assert.ok(
      hrp.includes('- `swiss/balanced`: no portfolio_flattened.json'),
      "hrp includes '- `swiss/balanced`: no portfolio_flattened.json'",
    );
    assert.ok(
      hrp.includes(
        'Sleeves flattened from their atoms file (a recorded fallback):\n\n- `gulf`: no hrp weights in data/portfolio_flattened.json',
      ),
      'a weights fallback is listed under the assets',
    );
    assert.ok(
      hrp.includes('| `swiss` | 0 | 0 | n/a (no records) | healthy |'),
      "hrp includes '| `swiss` | 0 | 0 | n/a (no records) | healthy |'",
    );
    assert.ok(
      hrp.includes('| `gulf` | 10 | 9 | 90.00% | healthy |'),
      "hrp includes '| `gulf` | 10 | 9 | 90.00% | healthy |'",
    );
    assert.ok(
      hrp.includes('| `crypto` | atomic | `crypto` | `c1` | `health` | 5 of 10 windows \\| 50 % |'),
      "hrp includes '| `crypto` | atomic | `crypto` | `c1` | `health` | 5 of 10…",
    );
    assert.ok(
      hrp.includes('| `gulf` | 2024-02-01 | 2024-02-29 | 21 | 12.50 | 80.00% | sharpe |'),
      "hrp includes '| `gulf` | 2024-02-01 | 2024-02-29 | 21 | 12.50 | 80.00% |…",
    );
    assert.ok(
      hrp.includes('| `swiss` | 130 | 125 | 3.85% |  |'),
      "hrp includes '| `swiss` | 130 | 125 | 3.85% | |'",
    );
    assert.ok(
      hrp.includes('| `gulf` | 200 | 125 | 37.50% | **warning** |'),
      "hrp includes '| `gulf` | 200 | 125 | 37.50% | **warning** |'",
    );
    assert.ok(
      hrp.includes('> **Warning:** the inner join dropped more than 20% of the dates of `gulf`:'),
      "hrp includes '> **Warning:** the inner join dropped more than 20% of the…",
    );
    assert.ok(
      hrp.includes('#### `swiss` (meta profile `meta_swiss`)'),
      "hrp includes '#### `swiss` (meta profile `meta_swiss`)'",
    );
    assert.ok(
      hrp.includes('Weight in parent 50.00%, in the root 50.00%; branch stream: `optimized`.'),
      "hrp includes 'Weight in parent 50.00%, in the root 50.00%; branch stream…",
    );
    assert.ok(
      hrp.includes('| `sectors` | atomic | 60.00% | 30.00% |'),
      "hrp includes '| `sectors` | atomic | 60.00% | 30.00% |'",
    );
  });

  test('missing optional inputs drop their sections with a visible note', () => {
    const mv = section('## Risk profile `min_variance`', '## Appendix');
    assert.ok(
      mv.includes(
        '### Top physical assets\n\n_Section omitted: data/portfolio_optimized_meta_meta_global_min_variance.json not found._',
      ),
      "mv includes '### Top physical assets\\n\\n_Section omitted: data/portfoli…",
    );
    for (const t of ['Sleeve health', 'Calendar', 'Nested sub-metas']) {
      assert.ok(
        mv.includes(
          `### ${t}\n\n_Section omitted: data/meta_manifest_meta_global_min_variance.json not found._`,
        ),
        t,
      );
    }
    assert.ok(
      mv.includes('### Sleeve correlation\n\n_Not computed: fewer than 2 common dates._'),
      "mv includes '### Sleeve correlation\\n\\n_Not computed: fewer than 2 comm…",
    );
    assert.ok(mv.includes('No anomalous window.'), "mv includes 'No anomalous window.'");
    assert.ok(
      mv.includes('Method: `min_variance`. Fallbacks: none.'),
      "mv includes 'Method: `min_variance`. Fallbacks: none.'",
    );
    assert.equal(isOmitted(degraded.assets), true, 'isOmitted(degraded.assets)');
    assert.equal(isOmitted(full.assets), false, 'isOmitted(full.assets)');
  });

  test('appendix: definitions and the annualisation factor per risk profile', () => {
    const app = md.slice(md.indexOf('## Appendix: definitions'));
    assert.ok(
      app.includes('TWR CAGR = (Π (1 + r_t))^(A/T) − 1'),
      "app includes 'TWR CAGR = (Π (1 + r_t))^(A/T) − 1'",
    );
    assert.ok(
      app.includes('Sharpe = mean(x) × A / (std(x) × √A) on the excess returns x = r − r_f') &&
        app.includes('(r_f = 0;'),
      'the appendix defines Sharpe over r_f and says which rate (0 without a record)',
    );
    assert.ok(
      app.includes('| `hrp` | 252 | meta manifest calendar |'),
      "app includes '| `hrp` | 252 | meta manifest calendar |'",
    );
  });

  test('the frequency word and the inference rule are printed as given', () => {
    const monthly = renderMetaReportMarkdown({
      ...data,
      riskProfiles: [
        {
          ...full,
          periodsPerYear: 12,
          frequency: 'monthly',
          periodsPerYearSource: 'inferred from the dates: median spacing 31 days, 12.0 rows/year → monthly',
        },
      ],
    });
    assert.ok(
      monthly.includes(
        '125 monthly returns from 2024-01-02 to 2024-06-28; annualisation A = 12 (inferred from the dates: median spacing 31 days, 12.0 rows/year → monthly).',
      ),
      'metrics line',
    );
    assert.ok(
      monthly.includes('| `hrp` | 12 | inferred from the dates: median spacing 31 days'),
      'appendix row',
    );
    const { frequency: _, ...unknown } = full;
    const bare = renderMetaReportMarkdown({ ...data, riskProfiles: [unknown] });
    assert.ok(bare.includes('125 returns from 2024-01-02'), 'no frequency word when unknown');
  });

  test('deterministic and free of NaN/undefined', () => {
    assert.equal(renderMetaReportMarkdown(data), md, 'renderMetaReportMarkdown(data)');
    assert.doesNotMatch(md, /NaN|undefined|Infinity/, 'md does not match /NaN|undefined|Infinity/');
  });
});

describe('markdown helpers', () => {
  test('number formats', () => {
    assert.equal(pct(0.123456), '12.35%', 'pct(0.123456)');
    assert.equal(pct(-0.000001), '0.00%', 'pct(-0.000001)');
    assert.equal(pct(null), 'n/a', 'pct(null)');
    assert.equal(pct(2, 0), '200%', 'pct(2, 0)');
    assert.equal(num(-0.004), '0.00', 'num(-0.004)');
    assert.equal(num(1.005, 1), '1.0', 'num(1.005, 1)');
  });

  test('code spans, cells and tables stay well formed', () => {
    assert.equal(code('min_variance'), '`min_variance`', "code('min_variance')");
    assert.equal(code('a`b'), '`` a`b ``', "code('a`b')");
    assert.equal(cell('a|b\nc'), 'a\\|b c', "cell('a|b\\nc')");
    assert.equal(
      table(['x', 'y'], [['1', 'a|b']], ['right', 'left']),
      '| x | y |\n| ---: | --- |\n| 1 | a\\|b |',
      "table(['x', 'y'], [['1', 'a|b']], ['right', 'left'])",
    );
  });
});
