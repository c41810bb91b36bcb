/** The risk_parity branch of optimizePortfolio: weights and the risk-budget diagnostics. */
import type { Matrix } from '../linalg/matrix.js';
import type { WeightBound } from './feasibility.js';
import { riskParity, type RiskParityResult } from './risk-parity.js';
import type { OptimizeResult } from './optimize-portfolio.js';

export function riskParityResult(
  cov: Matrix,
  lo: WeightBound,
  hi: WeightBound,
  budget: readonly number[] | undefined,
  diagnostics: Record<string, unknown>,
): OptimizeResult {
  const r = riskParity(cov, {
    minWeight: lo,
    maxWeight: hi,
    ...(budget === undefined ? {} : { riskBudget: budget }),
  });
  return {
    method: 'risk_parity',
    weights: r.weights,
    diagnostics: {
      ...diagnostics,
      iterations: r.iterations,
      outer_iterations: r.outerIterations,
      ...(r.riskBudget === undefined ? {} : riskBudgetDiagnostics(budget ?? [], r)),
    },
  };
}

/** The budgets used, the largest |relative contribution − budget|, and a note when they were rescaled. */
function riskBudgetDiagnostics(given: readonly number[], r: RiskParityResult): Record<string, unknown> {
  const sum = given.reduce((s, b) => s + b, 0);
  return {
    risk_budget: Array.from(r.riskBudget ?? []),
    risk_budget_max_deviation: r.maxDeviation,
    ...(Math.abs(sum - 1) > 1e-12
      ? { risk_budget_note: `the budgets summed to ${sum}; divided by their sum` }
      : {}),
  };
}
