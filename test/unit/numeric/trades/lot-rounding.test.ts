import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundToLots, type LotItem } from '../../../../src/numeric/trades/lot-rounding.js';
import { isQuantError } from '../../../../src/errors.js';
import { lotCandidates, lotsToTarget } from '../../../../src/numeric/trades/_lot-candidates.js';
import { seededRandom } from '../../../helpers/random.js';

/** Every allowed k of an item, written from the rule in docs/trades.md without the solver's helpers. */
function domain(item: LotItem, nav: number): number[] {
  const raw = ((item.target * nav) / item.price - item.held) / item.lotSize;
  const d = Math.abs(raw - Math.round(raw)) <= 1e-9 * Math.max(1, Math.abs(raw)) ? Math.round(raw) : raw;
  const out: number[] = [];
  for (let k = Math.min(0, Math.floor(d)); k <= Math.max(0, Math.ceil(d)); k++) {
    if (k === 0 || Math.abs(k) * item.lotSize * item.price >= item.minTicket) out.push(k);
  }
  return out;
}

/** The optimum by enumerating every combination: min Σ (w_i − target_i)² with cash ≥ 0. */
function bruteForce(items: readonly LotItem[], nav: number): { objective: number; combos: number } {
  const domains = items.map((it) => domain(it, nav));
  let best = Number.POSITIVE_INFINITY;
  let combos = 0;
  const ks = new Array<number>(items.length).fill(0);
  const walk = (i: number): void => {
    if (i === items.length) {
      combos += 1;
      let value = 0;
      let objective = 0;
      items.forEach((it, j) => {
        const q = it.held + (ks[j] as number) * it.lotSize;
        value += q * it.price;
        objective += ((q * it.price) / nav - it.target) ** 2;
      });
      if (nav - value >= -1e-9 && objective < best) best = objective;
      return;
    }
    for (const k of domains[i] as number[]) {
      ks[i] = k;
      walk(i + 1);
    }
  };
  walk(0);
  return { objective: best, combos };
}

function randomCase(seed: number): { items: LotItem[]; nav: number } {
  const rand = seededRandom(seed);
  const n = 2 + Math.floor(rand() * 4);
  const nav = 10_000;
  const raw = Array.from({ length: n }, () => (rand() < 0.2 ? -rand() * 0.3 : rand()));
  const longs = raw.filter((w) => w > 0).reduce((a, b) => a + b, 0) || 1;
  const items = raw.map((w) => ({
    target: w > 0 ? w / longs : w,
    price: Math.round(20 + rand() * 480),
    lotSize: [1, 2, 5, 10][Math.floor(rand() * 4)] as number,
    held: rand() < 0.4 ? Math.round((rand() - 0.3) * 10) : 0,
    minTicket: rand() < 0.5 ? Math.round(rand() * 1500) : 0,
  }));
  return { items, nav };
}

test('the rounding is optimal: its objective equals the brute-force minimum on 300 small random cases', () => {
  const methods = new Map<string, number>();
  let searched = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const { items, nav } = randomCase(seed);
    let result;
    try {
      result = roundToLots(items, { nav });
    } catch (error) {
      assert.ok(
        isQuantError(error) && error.code === 'E_TRADES_INFEASIBLE',
        `seed ${seed}: ${String(error)}`,
      );
      assert.equal(
        bruteForce(items, nav).objective,
        Number.POSITIVE_INFINITY,
        `seed ${seed}: feasible case refused`,
      );
      continue;
    }
    const reference = bruteForce(items, nav);
    methods.set(result.method, (methods.get(result.method) ?? 0) + 1);
    if (result.method === 'branch_and_bound') searched += 1;
    assert.ok(result.optimal, `seed ${seed}: optimality proven`);
    assert.ok(result.cash >= 0, `seed ${seed}: cash ${result.cash} must not be negative`);
    assert.ok(
      Math.abs(result.objective - reference.objective) <= 1e-12,
      `seed ${seed}: objective ${result.objective} vs brute force ${reference.objective} over ${reference.combos} combinations`,
    );
    result.lots.forEach((k, i) => {
      assert.ok(
        domain(items[i] as LotItem, nav).includes(k),
        `seed ${seed}: item ${i} trades ${k} lots, outside its domain`,
      );
    });
  }
  // The cases must reach the search: cash binding is what makes the problem an integer program.
  assert.ok(
    searched >= 50,
    `branch-and-bound ran on ${searched} cases (methods: ${JSON.stringify([...methods])})`,
  );
});

test('the greedy fallback above the exact limit keeps cash ≥ 0 and says why', () => {
  const { items, nav } = randomCase(7);
  const tight = items.map((it) => ({ ...it, held: 0, minTicket: 0, target: Math.abs(it.target) }));
  const sum = tight.reduce((a, b) => a + b.target, 0);
  const scaled = tight.map((it) => ({ ...it, target: it.target / sum }));
  const result = roundToLots(scaled, { nav, maxExactPositions: 0 });
  if (result.method === 'nearest_lot') {
    assert.ok(result.optimal && result.cash >= 0, 'the nearest lots fit: optimal without a search');
    return;
  }
  assert.equal(result.method, 'greedy', 'above the limit the greedy rounding is used');
  assert.equal(result.optimal, false, 'greedy is not claimed optimal');
  assert.match(result.reason ?? '', /above the exact limit of 0/, 'the reason names the limit');
  assert.ok(result.cash >= 0, `greedy keeps cash ≥ 0 (cash ${result.cash})`);
});

test('a node limit stops the search with the best solution found, not claimed optimal', () => {
  // 1,250 / price = i + 2.7 units: every nearest lot rounds up, and together they overspend.
  const items: LotItem[] = Array.from({ length: 8 }, (_, i) => ({
    held: 0,
    price: 1250 / (i + 2.7),
    target: 1 / 8,
    lotSize: 1,
    minTicket: 0,
  }));
  const full = roundToLots(items, { nav: 10_000 });
  assert.equal(full.method, 'branch_and_bound', 'rounding every position up overspends: the search runs');
  const cut = roundToLots(items, { nav: 10_000, maxNodes: 2 });
  assert.equal(cut.optimal, false, 'a stopped search is not optimal');
  assert.match(cut.reason ?? '', /stopped at 2 nodes/, 'the reason names the node limit');
  assert.ok(cut.cash >= 0 && cut.objective >= full.objective, 'the stopped search is feasible and no better');
});

test('holdings worth more than the NAV with a target above them are E_TRADES_INFEASIBLE', () => {
  const items: LotItem[] = [{ held: 200, price: 100, target: 2.5, lotSize: 1, minTicket: 0 }];
  assert.throws(
    () => roundToLots(items, { nav: 10_000 }),
    (e: unknown) => isQuantError(e) && e.code === 'E_TRADES_INFEASIBLE',
    'held 20,000 against a NAV of 10,000, and the target only buys more',
  );
});

test('no solution has negative cash: on 2,000 random small cases (holdings above the NAV, minimum tickets), exact and greedy agree with brute force on feasibility', () => {
  const rand = seededRandom(2026);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(rand() * values.length)] as T;
  let infeasible = 0;
  let checked = 0;
  for (let c = 0; c < 2000; c++) {
    const nav = pick([1000, 10_000, 100_000]);
    const items: LotItem[] = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => ({
      held: pick([0, 0, 10, 100, -20, 3.5, 1000]),
      price: pick([0.37, 1, 13.3, 96.74, 250, 1999.99, 5000]),
      target: pick([0, 0.05, 0.2, 0.5, -0.1, -0.3, 0.9]),
      lotSize: pick([1, 10, 100, 0.5, 25]),
      minTicket: pick([0, 0, 500, 2000, 10_000]),
    }));
    const domains = items.map((it) => domain(it, nav));
    if (domains.reduce((a, d) => a * d.length, 1) > 20_000) continue;
    checked += 1;
    const feasible = bruteForce(items, nav).objective < Number.POSITIVE_INFINITY;
    if (!feasible) infeasible += 1;
    for (const maxExactPositions of [40, 0]) {
      const what = `case ${c} (${maxExactPositions === 0 ? 'greedy' : 'exact'}): ${JSON.stringify({ items, nav })}`;
      let result;
      try {
        result = roundToLots(items, { nav, maxExactPositions });
      } catch (error) {
        assert.ok(isQuantError(error) && error.code === 'E_TRADES_INFEASIBLE', `${what}: ${String(error)}`);
        assert.equal(feasible, false, `${what}: refused, but brute force finds orders keeping cash ≥ 0`);
        continue;
      }
      assert.equal(feasible, true, `${what}: returned cash ${result.cash}, but no order set keeps cash ≥ 0`);
      assert.ok(result.cash >= -1e-9 * nav, `${what}: cash ${result.cash} is negative`);
    }
  }
  assert.ok(checked >= 1000 && infeasible >= 5, `${checked} cases checked, ${infeasible} infeasible`);
});

test('holdings above the NAV whose sells are below the minimum ticket: E_TRADES_INFEASIBLE with the arithmetic', () => {
  // Held 30,000 against a NAV of 10,000; selling A down to its target (10,000) is below A's ticket.
  const items: LotItem[] = [
    { symbol: 'A', held: 200, price: 100, target: 0.5, lotSize: 1, minTicket: 1e9 },
    { symbol: 'B', held: 100, price: 100, target: 0.5, lotSize: 1, minTicket: 0 },
  ];
  assert.throws(
    () => roundToLots(items, { nav: 10_000 }),
    (e: unknown) => {
      assert.ok(isQuantError(e) && e.code === 'E_TRADES_INFEASIBLE', `code: ${String(e)}`);
      assert.match(e.message, /worth 30000, 20000 above the NAV of 10000/, 'the shortfall');
      assert.match(e.message, /raise at most 5000/, 'what the allowed sells raise (B down to 5,000)');
      assert.match(e.message, /A \(selling 15000 .*minimum ticket of 1000000000\)/, 'the sell held back');
      assert.match(e.hint ?? '', /at least the holdings' value \(30000\)/, 'how to fix --nav');
      return true;
    },
    'the tickets leave no feasible order set',
  );
});

test('symbol caps are exact: the optimum among the allowed orders within every cap (brute force, 300 cases)', () => {
  let compared = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const { items, nav } = randomCase(seed * 7919);
    const cap = 0.3;
    const w = (it: LotItem, k: number): number => ((it.held + k * it.lotSize) * it.price) / nav;
    // A holding already beyond its cap has no order within it: such an item is left uncapped here.
    const capped = items.map((it) => Math.abs(w(it, 0)) <= cap + 1e-9);
    const narrowed = items.map((it, i) => ({
      ...it,
      allowed: domain(it, nav).filter((k) => !capped[i] || Math.abs(w(it, k)) <= cap + 1e-9),
    }));
    let best = Number.POSITIVE_INFINITY;
    const ks = new Array<number>(items.length).fill(0);
    const walk = (i: number): void => {
      if (i === items.length) {
        let value = 0;
        let objective = 0;
        items.forEach((it, j) => {
          value += (it.held + (ks[j] as number) * it.lotSize) * it.price;
          objective += (w(it, ks[j] as number) - it.target) ** 2;
        });
        if (nav - value >= -1e-9 && objective < best) best = objective;
        return;
      }
      for (const k of narrowed[i]?.allowed ?? []) {
        ks[i] = k;
        walk(i + 1);
      }
    };
    walk(0);
    if (!Number.isFinite(best)) continue;
    const r = roundToLots(items, {
      nav,
      caps: { symbols: items.map((_, i) => (capped[i] ? { key: `c${i}`, cap } : undefined)), groups: [] },
    });
    items.forEach((it, i) => {
      if (capped[i])
        assert.ok(
          Math.abs(w(it, r.lots[i] as number)) <= cap + 1e-9,
          `seed ${seed}: item ${i} within its cap`,
        );
    });
    assert.ok(r.cash >= 0, `seed ${seed}: cash ≥ 0`);
    assert.ok(Math.abs(r.objective - best) <= 1e-12, `seed ${seed}: ${r.objective} vs brute force ${best}`);
    compared += 1;
  }
  assert.ok(compared >= 200, `enough cases compared (${compared})`);
});

test('a group cap is restored or reported: never silently broken (300 cases)', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const { items, nav } = randomCase(seed * 104729);
    const members = items.map((_, i) => i).filter((i) => i % 2 === 0);
    const cap = 0.4;
    let r;
    try {
      r = roundToLots(items, { nav, caps: { symbols: [], groups: [{ key: 'g', members, cap }] } });
    } catch (e) {
      assert.ok(isQuantError(e) && e.code === 'E_TRADES_INFEASIBLE', `seed ${seed}: ${String(e)}`);
      continue;
    }
    const sum = members.reduce(
      (s, i) => s + ((items[i]!.held + r.lots[i]! * items[i]!.lotSize) * items[i]!.price) / nav,
      0,
    );
    assert.ok(
      Math.abs(sum) <= cap + 1e-9 || r.brokenCaps.some((b) => b.key === 'g' && b.reason.length > 0),
      `seed ${seed}: the group holds (${sum}) or is reported`,
    );
    assert.ok(r.cash >= 0, `seed ${seed}: cash ≥ 0 after the moves`);
  }
});

test('the cash a group-cap repair frees is spent again: a lot outside the group is bought, the tracking cost lower', () => {
  const nav = 10_000;
  // A and B (a lot is 0.1 of the NAV) target 0.4 each; C (a lot is 0.01) targets 0.28: 1.08 in all, so the
  // rounding trims C to 20 lots. The group {A, B} capped at 0.7 then sells a lot of A, freeing 1,000.
  const items: LotItem[] = [
    { symbol: 'A', held: 0, price: 100, lotSize: 10, minTicket: 0, target: 0.4 },
    { symbol: 'B', held: 0, price: 100, lotSize: 10, minTicket: 0, target: 0.4 },
    { symbol: 'C', held: 0, price: 100, lotSize: 1, minTicket: 0, target: 0.28 },
  ];
  const caps = { symbols: [], groups: [{ key: 'g', members: [0, 1], cap: 0.7 }] };
  const before = roundToLots(items, { nav, caps, respend: false });
  assert.deepEqual(before.lots, [3, 4, 20], 'the repair alone leaves C at 20 lots');
  const r = roundToLots(items, { nav, caps });
  assert.deepEqual(r.lots, [3, 4, 28], 'the freed cash buys C up to its target');
  assert.ok(r.objective < before.objective - 1e-6, `tracking cost ${r.objective} below ${before.objective}`);
  assert.ok(Math.abs(r.cash - 200) < 1e-9, `cash left ${r.cash}`);
  assert.equal(r.optimal, false, 'not claimed optimal');
  assert.equal(before.method, 'branch_and_bound', 'the first rounding searched');
  assert.equal(r.method, 'nearest_lot', 'the second rounding fits every nearest lot: its method is reported');
  assert.match(r.reason ?? '', /solved again/, 'the reason says the rounding was solved again');
  assert.deepEqual(r.capMoves, before.capMoves, 'the repair moves are kept');
});

test('solving again after a cap repair is never worse, keeps every cap and cash ≥ 0 (600 random cases)', () => {
  let improved = 0;
  for (let seed = 1; seed <= 600; seed++) {
    const { items, nav } = randomCase(seed * 15485863);
    const rand = seededRandom(seed);
    const members = items.map((_, i) => i).filter(() => rand() < 0.6);
    const other = items.map((_, i) => i).filter((i) => !members.includes(i) && rand() < 0.7);
    const groups = [
      { key: 'g', members, cap: 0.15 + rand() * 0.4 },
      ...(other.length > 0 ? [{ key: 'h', members: other, cap: 0.2 + rand() * 0.5 }] : []),
    ];
    const symbols = items.map((_, i) => (rand() < 0.3 ? { key: `s${i}`, cap: 0.35 } : undefined));
    const caps = { symbols, groups };
    let base;
    try {
      base = roundToLots(items, { nav, caps, respend: false });
    } catch (e) {
      assert.ok(isQuantError(e) && e.code === 'E_TRADES_INFEASIBLE', `seed ${seed}: ${String(e)}`);
      continue;
    }
    const r = roundToLots(items, { nav, caps });
    assert.ok(r.objective <= base.objective, `seed ${seed}: ${r.objective} not above ${base.objective}`);
    assert.ok(r.cash >= 0, `seed ${seed}: cash ${r.cash} ≥ 0`);
    const w = (i: number, lots: readonly number[]): number =>
      ((items[i]!.held + lots[i]! * items[i]!.lotSize) * items[i]!.price) / nav;
    const all = [
      ...symbols.flatMap((c, i) => (c === undefined ? [] : [{ key: c.key, members: [i], cap: c.cap }])),
      ...groups,
    ];
    for (const g of all) {
      const now = Math.abs(g.members.reduce((s, i) => s + w(i, r.lots), 0));
      const then = Math.abs(g.members.reduce((s, i) => s + w(i, base.lots), 0));
      assert.ok(
        now <= g.cap + 1e-9 || now <= then + 1e-12,
        `seed ${seed}: ${g.key} within its cap (${now} ≤ ${g.cap}) or no further beyond than the repair left it (${then})`,
      );
    }
    if (r.objective < base.objective) improved += 1;
  }
  assert.ok(improved >= 10, `the freed cash was spent in enough cases (${improved})`);
});

test('a symbol held beyond its cap is only traded toward it: to within the cap, else as close as an allowed order gets', () => {
  const nav = 10_000;
  // S is held short at −40 % for a cap of 30 % and a target of −50 %: selling more of it spends nothing
  // and funds A, but moves S further past its cap. Only buys are allowed, and its direction (toward the
  // target) allows none: S is not traded, and A is trimmed to the cash.
  const short: LotItem[] = [
    { symbol: 'S', held: -40, price: 100, lotSize: 1, minTicket: 0, target: -0.5 },
    { symbol: 'A', held: 0, price: 100, lotSize: 1, minTicket: 0, target: 1.5 },
  ];
  const caps = { symbols: [{ key: 'cap.S', cap: 0.3 }, undefined], groups: [] };
  const r = roundToLots(short, { nav, caps });
  assert.equal(r.lots[0], 0, 'S is not sold further short');
  assert.equal(r.lots[1], 140, 'A gets the cash there is');
  assert.ok(r.cash >= 0, 'cash ≥ 0');
  assert.deepEqual(r.heldBeyond, [true, false], 'S is marked as held beyond its cap');
  assert.deepEqual(
    r.brokenCaps.map((b) => b.key),
    ['cap.S'],
    'its cap stays broken, reported',
  );
  // L is held at 40 % for a cap of 30 % and a target of 29.9 %: the nearest lot (3 units, 3 %) sells 3
  // lots to 31 %, past the cap; selling 4 reaches 28 %, within it, and the rounding is exact under it.
  const long: LotItem[] = [
    { symbol: 'L', held: 40, price: 100, lotSize: 3, minTicket: 0, target: 0.299 },
    { symbol: 'B', held: 0, price: 100, lotSize: 1, minTicket: 0, target: 0.5 },
  ];
  const l = roundToLots(long, {
    nav,
    caps: { symbols: [{ key: 'cap.L', cap: 0.3 }, undefined], groups: [] },
  });
  assert.equal(l.lots[0], -4, 'L sells down to within its cap');
  assert.deepEqual(l.capMoves, [], 'no repair step was needed');
  assert.equal(l.optimal, true, 'the rounding is exact under the cap');
  // A sell toward the cap below the minimum ticket is no order: the closest allowed is to hold.
  const ticket: LotItem[] = [{ symbol: 'T', held: 40, price: 100, lotSize: 1, minTicket: 5000, target: 0.2 }];
  const t = roundToLots(ticket, { nav, caps: { symbols: [{ key: 'cap.T', cap: 0.3 }], groups: [] } });
  assert.equal(t.lots[0], 0, 'selling 20 units (2,000) is below the minimum ticket of 5,000');
});

test('E_TRADES_INFEASIBLE names the symbol cap that holds a short back from raising the cash', () => {
  const nav = 1000;
  // A is held at 1,500 (150 % of the NAV) for a target of 125 %: selling 3 raises 300 at most. S targets −50 %,
  // a short raising 500, but its cap of 10 % holds it to 100: 1,100 stays above the NAV of 1,000.
  const items: LotItem[] = [
    { symbol: 'A', held: 15, price: 100, lotSize: 1, minTicket: 0, target: 1.25 },
    { symbol: 'S', held: 0, price: 100, lotSize: 1, minTicket: 0, target: -0.5 },
  ];
  const caps = { symbols: [undefined, { key: 'exposure_limits.symbols.S', cap: 0.1 }], groups: [] };
  assert.doesNotThrow(() => roundToLots(items, { nav }), 'without the cap the short raises enough');
  assert.throws(
    () => roundToLots(items, { nav, caps }),
    (e: unknown) =>
      isQuantError(e) &&
      e.code === 'E_TRADES_INFEASIBLE' &&
      /an exposure cap holds an order back: S \(its cap exposure_limits\.symbols\.S allows at most selling 100 where the target allows selling 500\)/.test(
        e.message,
      ) &&
      /raise the exposure cap holding orders back \(exposure_limits\.symbols\.S\)/.test(e.hint ?? '') &&
      JSON.stringify(e.details['capped']) ===
        JSON.stringify([{ symbol: 'S', key: 'exposure_limits.symbols.S', cash_held_back: 400 }]),
    'the message, the hint and the details name the cap',
  );
});

test('E_TRADES_INFEASIBLE shows the five capped lines holding back the most cash, and how many more', () => {
  const nav = 1000;
  // A held at 300 % for 290 % raises 100. S1..S7 target −20 % … −80 %, each capped at 10 % (a short of 100):
  // the caps hold back 100, 200, …, 700, so the shorts raise 700 where 2,000 is missing.
  const shorts = [1, 2, 3, 4, 5, 6, 7];
  const items: LotItem[] = [
    { symbol: 'A', held: 30, price: 100, lotSize: 1, minTicket: 0, target: 2.9 },
    ...shorts.map((n) => ({
      symbol: `S${n}`,
      held: 0,
      price: 100,
      lotSize: 1,
      minTicket: 0,
      target: -(n + 1) / 10,
    })),
  ];
  const caps = {
    symbols: [undefined, ...shorts.map((n) => ({ key: `exposure_limits.symbols.S${n}`, cap: 0.1 }))],
    groups: [],
  };
  assert.doesNotThrow(() => roundToLots(items, { nav }), 'without the caps the shorts raise enough');
  let caught: unknown;
  try {
    roundToLots(items, { nav, caps });
  } catch (error) {
    caught = error;
  }
  assert.ok(isQuantError(caught) && caught.code === 'E_TRADES_INFEASIBLE', 'the caps make it infeasible');
  const named = [...caught.message.matchAll(/\b(S\d) \(its cap/g)].map((m) => m[1]);
  assert.deepEqual(
    named,
    ['S7', 'S6', 'S5', 'S4', 'S3'],
    'the five holding back the most cash, largest first',
  );
  assert.match(caught.message, /S3 \(its cap [^)]*\), and 2 more$/, 'the rest are counted');
  assert.match(
    caught.hint ?? '',
    /\(exposure_limits\.symbols\.S7, exposure_limits\.symbols\.S6, exposure_limits\.symbols\.S5, exposure_limits\.symbols\.S4, exposure_limits\.symbols\.S3, and 2 more\)/,
    'the hint names the same five caps and counts the rest',
  );
  const all = caught.details['capped'] as { symbol: string; cash_held_back: number }[];
  assert.deepEqual(
    all.map((c) => [c.symbol, c.cash_held_back]),
    shorts.map((n) => [`S${n}`, n * 100]),
    'details.capped keeps every line, in input order',
  );
});

test('E_TRADES_INFEASIBLE names the cap that makes a short held beyond it be bought back', () => {
  const nav = 1000;
  // A held at 150 % for 145 % raises 100 at most; S, short at −50 % for a cap of 30 % (target −20 %), must be
  // bought back 2 units (200) to within the cap: 100 more than the sell raises, the holdings at the NAV.
  const items: LotItem[] = [
    { symbol: 'A', held: 15, price: 100, lotSize: 1, minTicket: 0, target: 1.45 },
    { symbol: 'S', held: -5, price: 100, lotSize: 1, minTicket: 0, target: -0.2 },
  ];
  const caps = { symbols: [undefined, { key: 'exposure_limits.max_weight', cap: 0.3 }], groups: [] };
  assert.throws(
    () => roundToLots(items, { nav, caps }),
    (e: unknown) =>
      isQuantError(e) &&
      e.code === 'E_TRADES_INFEASIBLE' &&
      /S \(its cap exposure_limits\.max_weight requires at least buying 200 where the target allows no order\)/.test(
        e.message,
      ),
    'the cap requiring the buy-back is named',
  );
});

test('a target a whole number of lots away opens no lot beyond it, whatever the noise of the division', () => {
  // 8 held at 10 with a NAV of 1,000 is 8 %; a target of 1 % is 7 lots to sell, −7.000000000000001 in
  // doubles, whose floor opened an 8th sell (one whole lot beyond the target) to raise cash.
  const item: LotItem = { target: 0.01, held: 8, price: 10, lotSize: 1, minTicket: 0 };
  assert.equal(lotsToTarget(0.01, 0.01 - 0.08), -7, 'the distance is snapped to the whole number of lots');
  assert.equal(lotCandidates(item, 1_000).lowest, -7, 'no sell beyond the target is a choice');
  assert.equal(lotsToTarget(1, 2.5), 2.5, 'a distance that is not whole stays as it is');
  // Holdings 10 above the NAV whose other sell is below its minimum ticket: only the 8th sell would raise it.
  const other: LotItem = { target: 0.99, held: 100, price: 10, lotSize: 1, minTicket: 20 };
  assert.throws(
    () => roundToLots([item, other], { nav: 1_000 }),
    (e: unknown) => isQuantError(e) && e.code === 'E_TRADES_INFEASIBLE',
    'no order goes a whole lot beyond its target to fund the cash',
  );
});
