// meta.attribution end to end on the demo workspace, through the built CLI: the demo's sleeves are
// backtested (--execute-sleeves), the meta pipeline writes meta_attribution_{M}_{P}.json and .parquet for
// every risk profile, the tables sum to the totals, and the files are recorded in the ledger (meta
// validate passes).
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
          ['gulf', 'swiss/balanced', 'swiss/sectors'],
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
      // ERC at the root within its bounds [0.1, 0.9]: both root entries carry half the volatility.
      const erc = JSON.parse(
        readFileSync(join(data, 'meta_attribution_meta_global_risk_parity.json'), 'utf8'),
      ) as Doc;
      for (const s of erc.sleeves)
        assert.ok(Math.abs(s.vol_share - 0.5) < 1e-8, `ERC share of ${s.name}: ${s.vol_share}`);
      const v = quant(['meta', 'validate', '--run-id', 'a1', '--workspace', ws.path], { env: EPOCH });
      assert.equal(v.code, 0, `meta validate: ${v.stdout}${v.stderr}`);
    } finally {
      ws.cleanup();
    }
  });
});
