// The exposure table of the report: every physical asset by gross weight with its running share, its
// share of the risk and its largest contributing paths; the assets beyond the limit in one row; a total.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  contributorsCell,
  EXPOSURE_ROWS,
  exposureBlock,
  exposureRows,
} from '../../../src/report/_exposure-section.js';
import { renderMetaReportHtml, renderMetaReportMarkdown } from '../../../src/report/index.js';
import type { ExposureRow, ExposureSection } from '../../../src/report/index.js';
import { data, full } from './_html-fixture.js';

const fixture = full.exposure as ExposureSection;

/** `n` assets of gross weight ∝ n − i (sum 1), alternately long and short, risk shares ∝ gross. */
function many(n: number): ExposureSection {
  const scale = 2 / (n * (n + 1));
  const rows: ExposureRow[] = Array.from({ length: n }, (_, i) => {
    const gross = (n - i) * scale;
    return {
      symbol: `A${String(i).padStart(3, '0')}`,
      gross,
      net: i % 2 === 0 ? gross : -gross,
      volShare: gross,
      cvarShare: gross,
      contributors: [{ path: 'p', contribution: i % 2 === 0 ? gross : -gross }],
    };
  });
  return { rows, totalGross: 1, attributionFile: 'data/a.json' };
}

describe('exposure table', () => {
  test('rank, weights, running share of the gross, shares of risk, the largest paths; then the total', () => {
    assert.deepEqual(
      exposureRows(fixture),
      [
        [
          '1',
          '`NESN`',
          '30.00%',
          '30.00%',
          '75.0%',
          '75.0%',
          '45.0%',
          '40.0%',
          '`swiss/equity` 20.00%, `gulf` 6.00%, `crypto` 3.00%, +1 more',
        ],
        ['2', '`CME_MINI:ES1!`', '10.00%', '-10.00%', '25.0%', '100.0%', '-5.0%', '-5.0%', '`gulf` -10.00%'],
        ['', '**Total**', '40.00%', '20.00%', '100.0%', '', '40.0%', '35.0%', ''],
      ],
      'exposureRows(fixture)',
    );
    assert.equal(
      contributorsCell(fixture.rows[0]!, 1),
      '`swiss/equity` 20.00%, +3 more',
      'one path named, the others counted',
    );
  });

  test('beyond the limit the assets share one row; the shown rows add up to the total', () => {
    const e = many(EXPOSURE_ROWS + 7);
    const rows = exposureRows(e);
    assert.equal(rows.length, EXPOSURE_ROWS + 2, 'the listed assets, one row for the rest, the total');
    const other = rows.at(-2)!;
    assert.equal(other[1], 'other (7 assets)', 'the rest named with its count');
    assert.equal(other[5], '100.0%', 'the running share reaches 100 % with the rest');
    const value = (cell: string): number => Number(cell.replace('%', '')) / 100;
    const shown = rows.slice(0, -1).reduce((s, r) => s + value(r[2]!), 0);
    assert.ok(
      Math.abs(shown - 1) <= 0.00005 * rows.length,
      `Σ shown gross ${shown} equals the total to the printing precision`,
    );
    assert.deepEqual(rows.at(-1)!.slice(1, 5), ['**Total**', '100.00%', pct(e), '100.0%'], 'total row');
    // Largest gross first: each listed gross is at least the next one.
    const gross = rows.slice(0, EXPOSURE_ROWS).map((r) => value(r[2]!));
    assert.ok(
      gross.every((g, i) => i === 0 || g <= gross[i - 1]!),
      'listed by gross weight, largest first',
    );
    assert.ok(
      exposureBlock(e).includes(`(the ${EXPOSURE_ROWS} largest of ${EXPOSURE_ROWS + 7}, then the rest)`),
      'the text says how many are listed',
    );
  });

  test('a single asset beyond the limit is listed, not grouped', () => {
    const rows = exposureRows(many(EXPOSURE_ROWS + 1));
    assert.equal(rows.length, EXPOSURE_ROWS + 2, 'every asset and the total');
    assert.equal(rows.at(-2)![0], String(EXPOSURE_ROWS + 1), 'the last asset keeps its rank');
    assert.ok(!rows.some((r) => r[1]!.startsWith('other')), 'no row for the rest');
  });

  test('without an attribution file the shares of risk are n/a, and the text says why', () => {
    const e: ExposureSection = {
      ...fixture,
      attributionFile: null,
      rows: fixture.rows.map((r) => ({ ...r, volShare: null, cvarShare: null })),
    };
    const md = exposureBlock(e);
    assert.ok(md.includes('the shares of risk are n/a: the run has no attribution file'), md);
    assert.deepEqual(
      exposureRows(e).map((r) => [r[6], r[7]]),
      [
        ['n/a', 'n/a'],
        ['n/a', 'n/a'],
        ['n/a', 'n/a'],
      ],
      'n/a shares, also in the total',
    );
    assert.equal(
      exposureBlock({ rows: [], totalGross: 0, attributionFile: null }),
      'No physical asset in the flattened portfolio.',
      'an empty portfolio says so',
    );
  });

  test('in the report after the risk attribution; the HTML table carries the Markdown cells', () => {
    const md = renderMetaReportMarkdown(data);
    const hrp = md.slice(md.indexOf('## Risk profile `hrp`'), md.indexOf('## Risk profile `min_variance`'));
    const titles = [...hrp.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
    assert.equal(
      titles[titles.indexOf('Exposure by physical asset') - 1],
      'Risk attribution',
      `section order: ${titles.join(', ')}`,
    );
    assert.ok(hrp.includes(exposureBlock(fixture)), 'the section body is the block of the data');
    const html = renderMetaReportHtml(data);
    const section = html.slice(html.indexOf('id="profile-hrp-exposure"'));
    assert.ok(
      section.includes(
        '<td><code>CME_MINI:ES1!</code></td><td class="num">10.00%</td><td class="num">-10.00%</td>',
      ),
      'the HTML row of the short',
    );
  });
});

/** The net total of a section as the table prints it. */
function pct(e: ExposureSection): string {
  return `${(e.rows.reduce((s, r) => s + r.net, 0) * 100).toFixed(2)}%`;
}
