// The demo as `npm start` runs it (through the built CLI, on a copy of examples/demo): every risk
// profile of the report is compared with the demo's equity benchmark over its risk-free rate, states
// the age of its data and lists its limits (the 25 % cap and the equity group bind; meta validate
// passes), the trades block prints the max_sharpe orders and the trade list's paths, and every output
// excerpt the README shows (blocks after `<!-- demo-excerpt -->`)
// is, byte for byte, part of this run's report or console output, so the README stays true.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { quant, REPO, tempDir } from '../helpers/cli.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };

/** The fenced blocks after each `<!-- demo-excerpt -->` marker of the README. */
function readmeExcerpts(): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  return [...readme.matchAll(/<!-- demo-excerpt -->\n+```\n([\s\S]*?)\n```/g)].map((m) => m[1] as string);
}

describe('the demo report (CLI, as npm start runs it)', { timeout: 600_000 }, () => {
  test('benchmark, risk-free labels and data age in every risk profile; the README excerpts are real', () => {
    const ws = tempDir('mf-demo-report-');
    try {
      cpSync(join(REPO, 'examples', 'demo'), ws.path, { recursive: true });
      rmSync(join(ws.path, 'runs'), { recursive: true, force: true });
      const r = quant(
        [
          'meta',
          'run',
          '--profile',
          'meta_global',
          '--execute-sleeves',
          '--run-id',
          'd1',
          '--workspace',
          ws.path,
        ],
        { env: EPOCH },
      );
      assert.equal(r.code, 0, r.stderr);
      const md = readFileSync(join(ws.path, 'runs', 'd1', 'reports', 'meta_portfolio_report.md'), 'utf8');
      const html = readFileSync(join(ws.path, 'runs', 'd1', 'reports', 'meta_portfolio_report.html'), 'utf8');
      const profiles = [...md.matchAll(/^## Risk profile `([a-z_]+)`$/gm)].map((m) => m[1] as string);
      assert.ok(profiles.length >= 6, `the demo reports its risk profiles: ${profiles.join(', ')}`);
      for (const [k, p] of profiles.entries()) {
        const start = md.indexOf(`## Risk profile \`${p}\``);
        const next = profiles[k + 1];
        const part = md.slice(
          start,
          next === undefined ? md.indexOf('## Appendix') : md.indexOf(`## Risk profile \`${next}\``),
        );
        assert.ok(part.includes('| Sharpe ratio (r_f = 2.0 %) |'), `${p}: the metrics name the 2 % rate`);
        assert.match(
          part,
          /### Active risk against benchmarks\n\n- `spi`: `data\/spisector_prices\.csv:SPI`/,
          `${p}: the SPI benchmark and its source`,
        );
        assert.match(
          part,
          /\| `spi` \| in sample \(fit period\) \| \d+ \| [\d.]+% \/ [\d.]+% \| -?[\d.]+% \| -?[\d.]+% \|/,
          `${p}: an in-sample active-risk row with figures`,
        );
        assert.match(
          part,
          /\| `spi` \| out of sample \(walk-forward\) \| \d+ \|/,
          `${p}: an out-of-sample row`,
        );
        assert.match(
          part,
          /### Data age\n\nLast data used: 2007-05-08, \d+ days before 2026-01-01 \(the run’s date\)\./,
          `${p}: the data age against SOURCE_DATE_EPOCH's day`,
        );
        // The trades block (max_sharpe only) sets max_data_age_days 7 and allow_stale: the limit meta.trades
        // applies, the verdict and the override; no other limit is set for the other risk profiles.
        const ageLine = part.slice(part.indexOf('Last data used:')).split('\n')[0] ?? '';
        assert.ok(
          p === 'max_sharpe'
            ? ageLine.includes(
                '`profiles.meta_global.trades.max_data_age_days` is 7 (the `trades` block trades this risk profile after the run): the data is **stale**',
              ) && ageLine.includes('the block sets `allow_stale`, so the orders are produced anyway')
            : ageLine.includes('No `max_data_age_days` applies to the trades of this risk profile'),
          `${p}: the data-age limit of its trades: ${ageLine}`,
        );
        // max_sharpe is fitted at meta_allocation.risk_free_rate (0 here), every Sharpe shown at 2 %.
        assert.equal(
          part.includes('Method: `max_sharpe`. The weights maximise the Sharpe ratio over r_f = 0.0 %'),
          p === 'max_sharpe',
          `${p}: the rate max_sharpe's weights were optimised at, only where they are shown`,
        );
        assert.match(
          part,
          /\| `turnover_cap_10pct` \| at each refit, max turnover 0\.1 \| [^\n]*\|\n\| `at_refit` \| at each refit \|/,
          `${p}: the rebalancing policies side by side, the default last`,
        );
        assert.match(
          part,
          /### Limits\n\n[^\n]*\n\n\| Level \| Limit \| Applies to \| Limit value \| Achieved \| Binds \|\n/,
          `${p}: the limits table`,
        );
        assert.ok(
          html.includes(`${p}: relative equity (portfolio / benchmark), out of sample (walk-forward)`),
          `${p}: the HTML draws the out-of-sample relative equity`,
        );
      }
      // The demo's limits bind: the 25 % cap per physical asset at the root and the Swiss equity group.
      assert.match(
        md,
        /\| root `meta_global` \| cap per symbol \| `SBI` \| \\\|net\\\| ≤ 25\.00% \| 25\.00% \| \*\*binds\*\* \|/,
        'the 25 % cap binds on SBI',
      );
      assert.match(
        md,
        /\| `swiss` \(`meta_swiss`\) \| group `equity` \| `sectors` \+ `defensive` \| \[0\.00%, 50\.00%\] \| 50\.00% \| \*\*binds\*\* \|/,
        'the equity group limit binds',
      );
      const v = quant(['meta', 'validate', '--run-id', 'd1', '--workspace', ws.path]);
      assert.equal(
        v.code,
        0,
        `meta validate passes every limit on the final weights:\n${v.stdout}${v.stderr}`,
      );
      // The trades block of meta_global: the max_sharpe orders, then the paths of the CSV and the JSON.
      const csv = join(ws.path, 'runs', 'd1', 'data', 'trades_meta_global_max_sharpe.csv');
      assert.match(
        r.stdout,
        /^orders for max_sharpe \(residual cash [\d.]+\):\nsymbol +side +quantity +price +notional\n/m,
        'npm start prints the orders',
      );
      assert.ok(r.stdout.includes(`trades (max_sharpe): `), 'and the path of the orders CSV');
      assert.match(
        readFileSync(csv, 'utf8'),
        /^symbol,side,quantity,lots,price,notional,sleeves\n(\S+,(BUY|SELL),.*\n){3,}/,
        'the orders CSV has at least three orders',
      );
      assert.match(
        r.stderr,
        /meta\.trades: the target's data ends 2007-05-08, \d+ days old \(max 7\): orders produced anyway \(allow_stale\)/,
        'the stale data is let through, with a warning',
      );
      const excerpts = readmeExcerpts();
      assert.ok(excerpts.length >= 5, `the README marks its excerpts (${excerpts.length})`);
      assert.ok(
        excerpts.some((e) => e.startsWith('### Limits\n')),
        'the README shows a Limits excerpt',
      );
      assert.ok(
        excerpts.some((e) => e.startsWith('orders for max_sharpe') && e.split('\n').length === 5),
        'the README shows three orders',
      );
      for (const e of excerpts) {
        assert.ok(
          md.includes(e) || r.stdout.includes(e),
          `README excerpt not produced by the demo (regenerate it from a real run):\n${e.slice(0, 600)}`,
        );
      }
    } finally {
      ws.cleanup();
    }
  });
});
