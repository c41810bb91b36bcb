// meta.attribution end to end on the demo workspace, through the built CLI: the demo's sleeves are
// backtested (--execute-sleeves), the meta pipeline writes meta_attribution_{M}_{P}.json and .parquet for
// every risk profile, the tables sum to the totals (the root's ERC under its binding 25 % cap), and the
// files are recorded in the ledger (meta validate passes).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { quant, REPO, tempDir } from '../helpers/cli.js';

const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };
const PROFILES = ['hrp', 'min_variance', 'max_sharpe', 'risk_parity', 'equal_weight', 'barbell'];

interface Row {
  name: string;
  weight: number;
  vol_contribution: number;
  vol_share: number;
  cvar_contribution: number;
}
interface Doc {
  totals: {
    volatility: number;
    cvar: number;
    effective_n: number | null;
    diversification_ratio: number | null;
  };
  sleeves: Row[];
  leaves: Row[];
  assets: Row[];
  leave_one_out: { name: string; volatility: number | null }[];
}

describe('meta.attribution on the demo workspace (CLI)', { timeout: 600_000 }, () => {
  test('artifacts for every risk profile, sums to the totals, ledger and report', async () => {
    const ws = tempDir('mf-attribution-');
    try {
      cpSync(join(REPO, 'examples', 'demo'), ws.path, { recursive: true });
      const r = quant(
        [
          'meta',
          'run',
          '--profile',
          'meta_global',
          '--execute-sleeves',
          '--run-id',
          'a1',
          '--workspace',
          ws.path,
        ],
        { env: EPOCH },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /meta\.attribution: hrp: vol [\d.]+%, CVaR95 [\d.]+%/, r.stdout);
      const data = join(ws.path, 'runs', 'a1', 'data');
      for (const P of PROFILES) {
        const doc = JSON.parse(
          readFileSync(join(data, `meta_attribution_meta_global_${P}.json`), 'utf8'),
        ) as Doc;
        assert.deepEqual(doc.sleeves.map((s) => s.name).sort(), ['gulf', 'swiss'], `${P}: root entries`);
        assert.deepEqual(
          doc.leaves.map((s) => s.name).sort(),
          ['gulf', 'swiss/balanced', 'swiss/defensive', 'swiss/sectors'],
          `${P}: leaves by path`,
        );
        for (const key of ['sleeves', 'leaves', 'assets'] as const) {
          const v = doc[key].reduce((s, x) => s + x.vol_contribution, 0);
          const c = doc[key].reduce((s, x) => s + x.cvar_contribution, 0);
          assert.ok(
            Math.abs(v - doc.totals.volatility) <= 1e-10,
            `${P} ${key}: Σ vol ${v} vs ${doc.totals.volatility}`,
          );
          assert.ok(Math.abs(c - doc.totals.cvar) <= 1e-10, `${P} ${key}: Σ CVaR ${c} vs ${doc.totals.cvar}`);
        }
        assert.equal(doc.leave_one_out.length, 2, `${P}: one leave-one-out row per root sleeve`);
        const rows = (await parquetReadObjects({
          file: new Uint8Array(readFileSync(join(data, `meta_attribution_meta_global_${P}.parquet`))).buffer,
        })) as { level: string; name: string; vol_contribution: number }[];
        assert.equal(
          rows.length,
          doc.sleeves.length + doc.leaves.length + doc.assets.length,
          `${P}: parquet rows`,
        );
        assert.deepEqual(
          rows.filter((x) => x.level === 'asset').map((x) => [x.name, x.vol_contribution]),
          doc.assets.map((x) => [x.name, x.vol_contribution]),
          `${P}: parquet assets equal the JSON's`,
        );
      }
      // ERC at the root: the 25 % cap on SBI binds and holds `swiss` below its equal-risk weight, so
      // `swiss` carries less than half the volatility; the shares still add up to 1.
      const erc = JSON.parse(
        readFileSync(join(data, 'meta_attribution_meta_global_risk_parity.json'), 'utf8'),
      ) as Doc;
      const optimized = JSON.parse(
        readFileSync(join(data, 'meta_optimized_meta_global_risk_parity.json'), 'utf8'),
      ) as { limits: { name: string; binding: boolean }[] };
      assert.deepEqual(
        optimized.limits.filter((l) => l.binding).map((l) => l.name),
        ['cap SBI'],
        'risk_parity: the SBI cap binds at the root',
      );
      const swiss = erc.sleeves.find((s) => s.name === 'swiss')?.vol_share ?? Number.NaN;
      assert.ok(swiss < 0.5, `risk_parity: swiss carries ${swiss} of the volatility, below its ERC half`);
      const total = erc.sleeves.reduce((t, s) => t + s.vol_share, 0);
      assert.ok(Math.abs(total - 1) < 1e-10, `risk_parity: the shares add up to ${total}`);
      const v = quant(['meta', 'validate', '--run-id', 'a1', '--workspace', ws.path], { env: EPOCH });
      assert.equal(v.code, 0, `meta validate: ${v.stdout}${v.stderr}`);
    } finally {
      ws.cleanup();
    }
  });
});
