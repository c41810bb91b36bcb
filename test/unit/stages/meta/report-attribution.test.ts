// The risk attribution section of the report on a real meta run (test/helpers/meta-workspace.ts: a root
// with a nested branch, in process): the section carries the numbers of meta_attribution_{M}_{P}.json,
// its tables add up to the artifact's totals, the HTML draws its charts, and the report rendered again
// has the same bytes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuantSDK } from '../../../../src/sdk/quant-sdk.js';
import {
  metaArtifactPaths,
  REPORT_HTML,
  REPORT_MD,
  type FlattenedMetaDoc,
} from '../../../../src/stages/meta/_artifact-types.js';
import type { MetaAttributionDoc } from '../../../../src/stages/meta/_attribution-level.js';
import { tempDir } from '../../../helpers/cli.js';
import { buildMetaWorkspace, PROFILES } from '../../../helpers/meta-workspace.js';

const ENV = { SOURCE_DATE_EPOCH: '1767225600' };
const M = 'meta_root';
const sdk = new QuantSDK();
const workspaces: { path: string; cleanup(): void }[] = [];

async function metaRun(runId: string): Promise<string> {
  const ws = tempDir('mf-report-attr-');
  workspaces.push(ws);
  await buildMetaWorkspace(ws.path);
  await sdk.runMeta(M, { workspace: ws.path, runId, env: ENV, backtest: false, cache: false });
  return join(ws.path, 'runs', runId);
}

const pct = (x: number, digits = 2): string => {
  const t = (x * 100).toFixed(digits);
  return `${/^-0(\.0+)?$/.test(t) ? t.slice(1) : t}%`;
};

/** The Markdown body of one risk profile's section (the attribution by default). */
function section(md: string, P: string, title = 'Risk attribution'): string {
  const profile = md.slice(md.indexOf(`## Risk profile \`${P}\``));
  const start = profile.indexOf(`### ${title}\n\n`);
  assert.ok(start >= 0, `${P}: the report has a section ${title}`);
  return profile.slice(start, profile.indexOf('\n### ', start + 1));
}

/** Table rows (cells) of the table that follows the paragraph starting with `intro`. */
function rowsAfter(body: string, intro: string): string[][] {
  const blocks = body.split('\n\n');
  const i = blocks.findIndex((b) => b.startsWith(intro));
  assert.ok(i >= 0, `a paragraph starting "${intro}"`);
  return (blocks[i + 1] ?? '')
    .trim()
    .split('\n')
    .slice(2)
    .map((l) =>
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
}

/** Percent cell → fraction (to its printed precision). */
const value = (cell: string): number => Number(cell.replace('%', '')) / 100;

let run: string;
before(async () => {
  run = await metaRun('attr1');
});
after(() => workspaces.forEach((w) => w.cleanup()));

describe('meta.report: risk attribution on a real run', () => {
  test('the section shows the artifact: totals, every sleeve and path, the largest assets, leave-one-out', () => {
    const md = readFileSync(join(run, REPORT_MD), 'utf8');
    for (const P of PROFILES) {
      const rel = `data/meta_attribution_${M}_${P}.json`;
      const doc = JSON.parse(readFileSync(join(run, rel), 'utf8')) as MetaAttributionDoc;
      const body = section(md, P);
      assert.ok(
        body.includes(
          `from \`${rel}\`: volatility ${pct(doc.totals.volatility)} (annualised), CVaR 95 % ` +
            `${pct(doc.totals.cvar, 3)} (historical, per period)`,
        ),
        `${P}: the totals of ${rel}`,
      );
      const sleeves = rowsAfter(body, 'In sample (fit period)');
      assert.deepEqual(
        sleeves.map((r) => r[0]),
        [...doc.sleeves.map((s) => `\`${s.name}\``), '**Total**'],
        `${P}: one row per entry of the level, in the artifact's order, and the total`,
      );
      doc.sleeves.forEach((s, i) => {
        assert.deepEqual(
          sleeves[i]!.slice(1, 4),
          [pct(s.weight), pct(s.vol_contribution), pct(s.vol_share, 1)],
          `${P} ${s.name}: weight, volatility contribution and share`,
        );
        assert.equal(sleeves[i]![5], pct(s.cvar_contribution, 3), `${P} ${s.name}: CVaR contribution`);
      });
      const total = sleeves.at(-1)!;
      assert.deepEqual(
        [total[2], total[3], total[5], total[6]],
        [pct(doc.totals.volatility), '100.0%', pct(doc.totals.cvar, 3), '100.0%'],
        `${P}: the total row`,
      );
      // The shown rows add up to the total to the printing precision (half a unit per row).
      const shownVol = sleeves.slice(0, -1).reduce((s, r) => s + value(r[2]!), 0);
      assert.ok(
        Math.abs(shownVol - doc.totals.volatility) <= 0.00005 * (sleeves.length + 1),
        `${P}: Σ shown volatility contributions ${shownVol} vs ${doc.totals.volatility}`,
      );
      const leaves = rowsAfter(body, 'Atomic sleeves through the nested branches');
      assert.deepEqual(
        leaves.map((r) => r[0]),
        [...doc.leaves.map((s) => `\`${s.name}\``), '**Total**'],
        `${P}: the atomic sleeves by path (inner/alpha, inner/beta, ...)`,
      );
      assert.ok(
        doc.leaves.some((l) => l.name.startsWith('inner/')),
        `${P}: the nested branch's sleeves are there by path`,
      );
      const assets = rowsAfter(body, 'Physical assets, all');
      const largest = [...doc.assets].sort(
        (a, b) => Math.abs(b.vol_share) - Math.abs(a.vol_share) || (a.name < b.name ? -1 : 1),
      );
      const shown = Math.min(10, largest.length);
      assert.deepEqual(
        assets.slice(0, shown).map((r) => r[0]),
        largest.slice(0, shown).map((a) => `\`${a.name}\``),
        `${P}: assets, largest |share of volatility| first`,
      );
      assert.equal(assets.at(-1)![2], pct(doc.totals.volatility), `${P}: the assets add up to the total`);
      const loo = rowsAfter(body, 'Without each sleeve');
      assert.deepEqual(
        loo.map((r) => [r[0], r[1]]),
        doc.leave_one_out.map((r) => [`\`${r.name}\``, r.volatility === null ? 'n/a' : pct(r.volatility)]),
        `${P}: leave-one-out volatility per sleeve`,
      );
    }
  });

  test('the HTML report draws two attribution charts per risk profile, bars summing to 100 %', () => {
    const html = readFileSync(join(run, REPORT_HTML), 'utf8');
    for (const P of PROFILES) {
      const start = html.indexOf(`id="profile-${P}-attribution"`);
      assert.ok(start > 0, `${P}: an attribution block`);
      const block = html.slice(start, html.indexOf('</section>', start));
      const svgs = block.split('<svg ').slice(1);
      assert.equal(svgs.length, 2, `${P}: by atomic sleeve and by physical asset`);
      for (const svg of svgs) {
        const vols = [...svg.matchAll(/<title>[^<]*: (-?[\d.]+)% of volatility<\/title>/g)].map((m) =>
          Number(m[1]),
        );
        const sum = vols.reduce((s, v) => s + v, 0);
        assert.ok(vols.length > 1, `${P}: bars drawn`);
        assert.ok(Math.abs(sum - 100) <= 0.05 * vols.length, `${P}: bars add up to 100 % (${sum})`);
      }
    }
  });

  test('the exposure table lists every flattened asset with its risk shares and its paths', () => {
    const md = readFileSync(join(run, REPORT_MD), 'utf8');
    for (const P of PROFILES) {
      const flat = JSON.parse(
        readFileSync(join(run, metaArtifactPaths(M, P).flattened), 'utf8'),
      ) as FlattenedMetaDoc;
      const doc = JSON.parse(
        readFileSync(join(run, `data/meta_attribution_${M}_${P}.json`), 'utf8'),
      ) as MetaAttributionDoc;
      const rows = rowsAfter(section(md, P, 'Exposure by physical asset'), 'Every physical asset');
      const byGross = [...flat.assets].sort((a, b) => b.Weight - a.Weight || (a.Symbol < b.Symbol ? -1 : 1));
      assert.deepEqual(
        rows.map((r) => r[1]),
        [...byGross.map((a) => `\`${a.Symbol}\``), '**Total**'],
        `${P}: every asset, largest gross first, then the total`,
      );
      byGross.forEach((a, i) => {
        const risk = doc.assets.find((x) => x.name === a.Symbol)!;
        const top = Object.entries(a.Contributors).sort(
          (x, y) => Math.abs(y[1]) - Math.abs(x[1]) || (x[0] < y[0] ? -1 : 1),
        )[0]!;
        assert.deepEqual(
          [rows[i]![2], rows[i]![3], rows[i]![6], rows[i]![7]],
          [pct(a.Weight), pct(a.Net_Weight), pct(risk.vol_share, 1), pct(risk.cvar_share, 1)],
          `${P} ${a.Symbol}: gross, net and the attribution's shares`,
        );
        assert.ok(
          rows[i]![8]!.startsWith(`\`${top[0]}\` ${pct(top[1])}`),
          `${P} ${a.Symbol}: the largest path first (${rows[i]![8]})`,
        );
      });
      assert.equal(rows.at(-1)![2], pct(flat.totals.gross), `${P}: total gross`);
    }
  });

  // Across workspaces, every artifact of a meta run is byte-identical (test/e2e/meta-pipeline.test.ts).
  test('the report rendered again from the same artifacts has the same bytes', async () => {
    const before = [REPORT_MD, REPORT_HTML].map((f) => readFileSync(join(run, f)));
    await sdk.runStage(
      'meta.report',
      { meta_profile: M },
      { workspace: join(run, '..', '..'), runId: 'attr1', env: ENV },
    );
    [REPORT_MD, REPORT_HTML].forEach((f, i) => {
      assert.ok(readFileSync(join(run, f)).equals(before[i]!), `${f} is byte-identical`);
    });
  });
});
