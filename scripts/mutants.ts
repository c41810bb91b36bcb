// Mutation spot check (`npm run mutants`): plants each bug of MUTANTS, one at a time, in a copy of the
// repository in a temporary folder (the working tree is never written), runs only the tests named for
// it, and reports which were caught ("killed") and by which test. Exits 1 if the unmutated copy fails its
// tests, if a mutant's text is not found exactly once (the list needs updating), or if fewer than 90 % of
// the mutants are killed.
//
//   npm run mutants                     all mutants
//   npm run mutants -- --only erc-outer-sign,ignore-linkage
//   npm run mutants -- --list           the list, without running anything
//   npm run mutants -- --markdown       also print the result as the table of docs/hardening.md
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Mutant {
  readonly id: string;
  /** The planted bug, as a user would notice it. */
  readonly bug: string;
  readonly file: string;
  /** Text that must occur exactly once in `file`, and what replaces it. */
  readonly find: string;
  readonly replace: string;
  readonly tests: readonly string[];
}

const SEAMS = 'test/unit/stages/portfolio-optimize-options.test.ts';
const META = 'test/unit/stages/meta/meta-options.test.ts';
const GUARDS = 'test/unit/stages/meta/level-guards.test.ts';
const COST = 'test/unit/numeric/optimize/solver-cost.test.ts';
const FLATTEN = 'test/property/flatten.property.test.ts';
const INNER_JOIN = 'test/property/inner-join.property.test.ts';
const OPTIMIZE = 'src/numeric/optimize/optimize-portfolio.ts';
const STAGE = 'src/stages/portfolio/optimize.ts';
const LEVEL = 'src/stages/meta/_optimize-level.ts';

const MUTANTS: readonly Mutant[] = [
  // The eight bugs an earlier review planted that no test caught.
  {
    id: 'ignore-linkage',
    bug: 'hrp ignores `linkage` (always single)',
    file: OPTIMIZE,
    find: "const tree = hierarchicalRiskParity(cov, {\n        linkage: options.linkage ?? 'single',",
    replace: "const tree = hierarchicalRiskParity(cov, {\n        linkage: 'single',",
    tests: [SEAMS, META],
  },
  {
    id: 'ignore-ledoit-wolf',
    bug: '`covariance=ledoit_wolf` uses the sample covariance',
    file: OPTIMIZE,
    find: "estimator === 'ledoit_wolf' ? ledoitWolfCovariance(returns).covariance : sampleCovariance(returns)",
    replace: 'sampleCovariance(returns)',
    tests: [SEAMS, META],
  },
  {
    id: 'ignore-cagr',
    bug: '`expected_returns=cagr` uses the arithmetic mean',
    file: OPTIMIZE,
    find: "options.expectedReturns === 'cagr' ?",
    replace: 'false ?',
    tests: [SEAMS, META],
  },
  {
    id: 'ignore-risk-free-rate',
    bug: 'max_sharpe ignores `risk_free_rate`',
    file: OPTIMIZE,
    find: 'const rf = options.riskFreeRate ?? 0;',
    replace: 'const rf = 0;',
    tests: [SEAMS, META],
  },
  {
    id: 'no-sleeve-guard',
    bug: 'a meta level with 1 usable sleeve is not refused',
    file: 'src/stages/meta/_level.ts',
    find: 'if (series.length < 2) {',
    replace: 'if (series.length < 1) {',
    tests: [GUARDS],
  },
  {
    id: 'loss-threshold',
    bug: 'intersection-loss warning at 25 % instead of 20 %',
    file: 'src/report/_meta-report-sections.ts',
    find: 'export const INTERSECTION_LOSS_WARNING = 0.2;',
    replace: 'export const INTERSECTION_LOSS_WARNING = 0.25;',
    tests: [GUARDS],
  },
  {
    id: 'health-threshold',
    bug: 'sleeve health threshold 70 % instead of 75 %',
    file: 'src/artifacts/sleeve-run.ts',
    find: 'export const HEALTH_THRESHOLD = 0.75;',
    replace: 'export const HEALTH_THRESHOLD = 0.7;',
    tests: [GUARDS],
  },
  {
    id: 'erc-outer-sign',
    bug: "ERC's outer Newton step with a flipped sign (same weights, ~5× the steps)",
    file: 'src/numeric/optimize/risk-parity.ts',
    find: 'c * Math.exp(-Math.log(total) / slope)',
    replace: 'c * Math.exp(Math.log(total) / slope)',
    tests: [COST],
  },
  // Flatten and the sleeve weights it reads.
  {
    id: 'flatten-short-sign',
    bug: 'meta.flatten ignores the sign of short exposures',
    file: 'src/stages/meta/_flatten-level.ts',
    find: 'add(r.Symbol, label, w * r.Net_Weight)',
    replace: 'add(r.Symbol, label, w * Math.abs(r.Net_Weight))',
    tests: [FLATTEN],
  },
  {
    id: 'flatten-drops-shorts',
    bug: 'meta.flatten drops net-short symbols with the dust',
    file: 'src/stages/meta/_flatten-level.ts',
    find: '.filter(([, e]) => Math.abs(e.net) >= NET_EPSILON)',
    replace: '.filter(([, e]) => e.net >= NET_EPSILON)',
    tests: [FLATTEN],
  },
  {
    id: 'weights-direction-ignored',
    bug: 'a weights row with Direction SHORT and no Net_Weight is read as long',
    file: 'src/artifacts/_sleeve-weights.ts',
    find: "Net_Weight: netWeight ?? (direction === 'SHORT' ? -weight : weight),",
    replace: 'Net_Weight: netWeight ?? weight,',
    tests: [FLATTEN],
  },
  // Other options of portfolio.optimize.
  {
    id: 'ignore-leaf-order',
    bug: 'hrp ignores `leaf_order` (always dendrogram)',
    file: OPTIMIZE,
    find: "linkage: options.linkage ?? 'single',\n        leafOrder: options.leafOrder ?? 'dendrogram',",
    replace: "linkage: options.linkage ?? 'single',\n        leafOrder: 'dendrogram',",
    tests: [SEAMS, META],
  },
  {
    id: 'ignore-min-weight',
    bug: '`min_weight` ignored',
    file: OPTIMIZE,
    find: 'const lo = options.minWeight ?? 0;',
    replace: 'const lo = 0;',
    tests: [SEAMS, META],
  },
  {
    id: 'ignore-max-weight',
    bug: '`max_weight` ignored',
    file: OPTIMIZE,
    find: 'const hi = options.maxWeight ?? 1;',
    replace: 'const hi = 1;',
    tests: [SEAMS, META],
  },
  {
    id: 'ignore-periods-per-year',
    bug: 'the annualisation factor is always 252',
    file: OPTIMIZE,
    find: 'const A = options.periodsPerYear;',
    replace: 'const A = 252;',
    tests: [SEAMS, META],
  },
  {
    id: 'ignore-missing',
    bug: 'portfolio.optimize ignores `missing` (always drop_rows)',
    file: STAGE,
    find: 'missing: params.missing,',
    replace: "missing: 'drop_rows',",
    tests: [SEAMS],
  },
  {
    id: 'ignore-ffill-limit',
    bug: 'portfolio.optimize ignores `ffill_limit`',
    file: STAGE,
    find: 'ffillLimit: params.ffill_limit,',
    replace: 'ffillLimit: undefined,',
    tests: [SEAMS],
  },
  {
    id: 'ignore-assets',
    bug: 'portfolio.optimize ignores `assets`',
    file: STAGE,
    find: 'assets: params.assets,',
    replace: 'assets: undefined,',
    tests: [SEAMS],
  },
  {
    id: 'ignore-fallback',
    bug: 'portfolio.optimize ignores `fallback=true`',
    file: STAGE,
    find: 'result = params.fallback',
    replace: 'result = false',
    tests: [SEAMS],
  },
  {
    id: 'log-returns-as-simple',
    bug: '`input_kind=log_returns` uses the log returns as simple returns',
    file: 'src/numeric/series/input-kind.ts',
    find: 'return col.map((l) => Math.expm1(l));',
    replace: 'return col.map((l) => l);',
    tests: [SEAMS],
  },
  // meta_allocation of a level.
  {
    id: 'meta-ignore-covariance',
    bug: 'a meta level ignores `meta_allocation.covariance`',
    file: LEVEL,
    find: "covariance: a.covariance ?? 'auto',",
    replace: "covariance: 'auto',",
    tests: [META],
  },
  {
    id: 'meta-ignore-expected-returns',
    bug: 'a meta level ignores `meta_allocation.expected_returns`',
    file: LEVEL,
    find: '...(a.expected_returns === undefined ? {} : { expectedReturns: a.expected_returns }),',
    replace: '',
    tests: [META],
  },
  {
    id: 'meta-ignore-risk-free-rate',
    bug: 'a meta level ignores `meta_allocation.risk_free_rate`',
    file: LEVEL,
    find: '...(a.risk_free_rate === undefined ? {} : { riskFreeRate: a.risk_free_rate }),',
    replace: '',
    tests: [META],
  },
  {
    id: 'meta-ignore-min-weight',
    bug: 'a meta level ignores `meta_allocation.min_weight`',
    file: LEVEL,
    find: 'minWeight: node.bounds.minWeight,',
    replace: 'minWeight: 0,',
    tests: [META],
  },
  {
    id: 'meta-ignore-periods-per-year',
    bug: 'a meta level ignores `meta_allocation.periods_per_year`',
    file: 'src/stages/meta/_level.ts',
    find: 'return resolveAnnualisation(node.allocation.periods_per_year, dates, {',
    replace: "return resolveAnnualisation('auto', dates, {",
    tests: [META],
  },
  // Numeric kernels.
  {
    id: 'inverse-volatility',
    bug: 'inverse_variance weights by 1/σ instead of 1/σ²',
    file: 'src/numeric/optimize/inverse-variance.ts',
    find: 'w[i] = 1 / v;\n    total += 1 / v;',
    replace: 'w[i] = 1 / Math.sqrt(v);\n    total += 1 / Math.sqrt(v);',
    tests: [SEAMS, 'test/golden/inverse-variance.golden.test.ts'],
  },
  {
    id: 'hrp-bisection-flipped',
    bug: 'HRP gives the riskier half the larger share',
    file: 'src/numeric/optimize/hierarchical-risk-parity.ts',
    find: 'const rawAlpha = vL + vR === 0 ? 0.5 : 1 - vL / (vL + vR);',
    replace: 'const rawAlpha = vL + vR === 0 ? 0.5 : vL / (vL + vR);',
    tests: ['test/golden/hrp.golden.test.ts', SEAMS],
  },
  {
    id: 'correlation-distance-no-sqrt',
    bug: 'correlation distance (1 − ρ)/2 without the square root',
    file: 'src/numeric/cluster/correlation-distance.ts',
    find: 'out[i * n + j] = Math.sqrt(h);',
    replace: 'out[i * n + j] = h;',
    tests: ['test/golden/hrp.golden.test.ts'],
  },
  {
    id: 'covariance-ddof-0',
    bug: 'sample covariance divided by T instead of T − 1',
    file: 'src/numeric/covariance/sample-covariance.ts',
    find: 'gram(centred, T, n, T - 1)',
    replace: 'gram(centred, T, n, T)',
    // Every method's weights are invariant to the scale of Σ, so only the covariance itself shows it.
    tests: [SEAMS, 'test/unit/numeric/covariance/sample-covariance.test.ts'],
  },
  {
    id: 'ledoit-wolf-no-cap',
    bug: 'Ledoit–Wolf shrinkage not capped at δ (intensity above 1 possible)',
    file: 'src/numeric/covariance/ledoit-wolf.ts',
    find: 'const b2 = Math.min(bBar2, d2);',
    replace: 'const b2 = bBar2;',
    tests: ['test/unit/numeric/covariance/ledoit-wolf.test.ts'],
  },
  {
    id: 'max-sharpe-rf-sign',
    bug: 'max_sharpe adds r_f to μ instead of subtracting it',
    file: 'src/numeric/optimize/max-sharpe.ts',
    find: 'mFull[i] = (mu[i] as number) - rf;',
    replace: 'mFull[i] = (mu[i] as number) + rf;',
    tests: [SEAMS],
  },
  {
    id: 'inner-join-last-calendar',
    bug: "the inner join keeps the last sleeve's dates instead of the common ones",
    file: 'src/numeric/series/inner-join.ts',
    find: 'if (common.has(d)) next.add(d);',
    replace: 'next.add(d);',
    tests: [INNER_JOIN, GUARDS],
  },
];

const REPO = fileURLToPath(new URL('../', import.meta.url));

interface Outcome {
  readonly mutant: Mutant;
  readonly killed: boolean;
  /** The first failing test, or why the run ended. */
  readonly by: string;
  readonly seconds: number;
}

function runTests(dir: string, tests: readonly string[]): { ok: boolean; failed: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=tap', ...tests],
    {
      cwd: dir,
      encoding: 'utf8',
      timeout: 900_000,
      maxBuffer: 64 * 1024 * 1024,
      // Property tests try every case, as under npm run test:slow (test/helpers/property-runs.ts).
      env: { ...process.env, CI: '1', QUANT_TEST_FULL_RUNS: '1' },
    },
  );
  if (r.error !== undefined) return { ok: false, failed: `no result (${r.error.message})` };
  if (r.status === 0) return { ok: true, failed: '' };
  // The innermost failing test: the first nested "not ok" line.
  const lines = r.stdout.split('\n');
  const nested = lines.find((l) => /^\s+not ok \d+ - /.test(l));
  const top = lines.find((l) => /^not ok \d+ - /.test(l));
  const name = (nested ?? top ?? `exit ${r.status ?? r.signal}`).replace(/^\s*not ok \d+ - /, '');
  return { ok: false, failed: name };
}

function main(): number {
  const args = process.argv.slice(2);
  const onlyArg = args.indexOf('--only');
  const only = onlyArg >= 0 ? new Set((args[onlyArg + 1] ?? '').split(',')) : undefined;
  const mutants = MUTANTS.filter((m) => only === undefined || only.has(m.id));
  if (args.includes('--list')) {
    for (const m of mutants) process.stdout.write(`${m.id}\t${m.file}\t${m.bug}\n`);
    return 0;
  }
  if (mutants.length === 0) {
    process.stderr.write('no mutant matches --only\n');
    return 1;
  }
  const dir = mkdtempSync(join(tmpdir(), 'metafolio-mutants-'));
  try {
    for (const part of ['src', 'test', 'data', 'package.json', 'tsconfig.json'])
      cpSync(join(REPO, part), join(dir, part), { recursive: true });
    symlinkSync(realpathSync(join(REPO, 'node_modules')), join(dir, 'node_modules'), 'dir');

    for (const m of mutants) {
      const count = readFileSync(join(dir, m.file), 'utf8').split(m.find).length - 1;
      if (count !== 1) {
        process.stderr.write(
          `mutant ${m.id}: its text occurs ${count} times in ${m.file}; update the list\n`,
        );
        return 1;
      }
    }
    const allTests = [...new Set(mutants.flatMap((m) => m.tests))];
    process.stdout.write(`copy in ${dir}; baseline: ${allTests.length} test files unmutated…\n`);
    const baseline = runTests(dir, allTests);
    if (!baseline.ok) {
      process.stderr.write(`the unmutated copy fails: ${baseline.failed}\n`);
      return 1;
    }

    const outcomes: Outcome[] = [];
    for (const m of mutants) {
      const file = join(dir, m.file);
      const original = readFileSync(file, 'utf8');
      writeFileSync(file, original.replace(m.find, m.replace));
      const started = process.hrtime.bigint();
      // One test file at a time, stopping at the first that fails: it names the catching test.
      let by = '';
      try {
        for (const test of m.tests) {
          const r = runTests(dir, [test]);
          if (!r.ok) {
            by = `\`${test}\`: ${r.failed}`;
            break;
          }
        }
      } finally {
        writeFileSync(file, original);
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const killed = by !== '';
      outcomes.push({ mutant: m, killed, by, seconds });
      process.stdout.write(
        `${killed ? 'killed  ' : 'SURVIVED'} ${m.id} (${seconds.toFixed(0)} s)${killed ? ` — ${by}` : ''}\n`,
      );
    }
    const killed = outcomes.filter((o) => o.killed).length;
    const score = killed / outcomes.length;
    process.stdout.write(
      `\nmutation score: ${killed}/${outcomes.length} killed (${(score * 100).toFixed(1)} %)\n`,
    );
    if (args.includes('--markdown')) {
      process.stdout.write('\n| planted bug | file | caught by |\n| --- | --- | --- |\n');
      for (const o of outcomes) {
        const by = o.killed ? o.by.replace(/\|/g, '\\|') : '**survived**';
        process.stdout.write(`| ${o.mutant.bug} | \`${o.mutant.file}\` | ${by} |\n`);
      }
    }
    return score >= 0.9 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exit(main());
