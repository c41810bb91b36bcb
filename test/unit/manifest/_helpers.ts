import assert from 'node:assert/strict';

/** The DESIGN §3 example manifest, verbatim. */
export const DESIGN_EXAMPLE = `{
  "profiles": {
    "swiss_sectors": { "sleeve": {
        "prices": "data/spisector_prices.csv", "assets": ["BASI", "INDU", "HLTH"],
        "directions": { "INDU": "SHORT" },
        "risk_profiles": ["hrp", "min_variance", "equal_weight"],
        "train_window": 252, "test_window": 21, "step": 21,
        "costs": { "commission": 0.0001, "slippage": 0.0005 } } },
    "meta_swiss": { "sleeves": [
        { "id": "sectors", "profile": "swiss_sectors" },
        { "id": "balanced", "profile": "swiss_balanced", "run_id": "swiss_balanced_20260101-000000" } ],
      "meta_allocation": { "min_weight": 0.05, "max_weight": 0.5 } },
    "meta_global": { "sleeves": [
        { "id": "swiss", "meta_profile": "meta_swiss" },
        { "id": "gulf", "profile": "gulf_equity" } ],
      "risk_profiles": ["hrp", "min_variance", "max_sharpe", "risk_parity", "equal_weight", "barbell"],
      "features": { "directional_sign_test_gate": true } }
  }
}
`;

export { caughtQuantError as catchQuantError } from '../../helpers/errors.js';

/** The 1-based line of the only line of `text` that contains `marker`. */
export function lineContaining(text: string, marker: string): number {
  const lines = text.split(/\r\n|\n|\r/);
  const hits = lines.flatMap((l, i) => (l.includes(marker) ? [i + 1] : []));
  assert.equal(hits.length, 1, `marker ${marker} must occur on exactly one line`);
  return hits[0] as number;
}

/** A minimal valid sleeve profile as JSON text. */
export function sleeveJson(assets: string[] = ['A', 'B'], riskProfiles: string[] = ['hrp']): string {
  return JSON.stringify({ sleeve: { prices: 'p.csv', assets, risk_profiles: riskProfiles } });
}
