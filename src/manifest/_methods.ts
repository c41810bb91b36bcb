// Closed vocabularies the manifest validates against.
//
// TODO(switch to import): PORTFOLIO_METHODS and METHOD_ALIASES belong to
// src/numeric/optimize/optimize-portfolio.ts. That module does not compile yet (its algorithm files are
// still being written), and importing it would load them at runtime, so they are mirrored here. Once it
// compiles, replace the two constants below with
//   export { PORTFOLIO_METHODS, METHOD_ALIASES } from '../numeric/optimize/optimize-portfolio.js';
// The linkage / leaf-order / estimator lists mirror numeric/cluster and numeric/covariance for the same
// reason (the manifest layer may import only errors, zod and the method list).

/** Portfolio construction methods (risk profiles), DESIGN §9. Mirrors numeric/optimize. */
export const PORTFOLIO_METHODS = [
  'equal_weight',
  'inverse_variance',
  'hrp',
  'min_variance',
  'max_sharpe',
  'risk_parity',
  'barbell',
] as const;
export type PortfolioMethod = (typeof PORTFOLIO_METHODS)[number];

/** Documented aliases of method ids. Mirrors numeric/optimize. */
export const METHOD_ALIASES: Readonly<Record<string, PortfolioMethod>> = { erc: 'risk_parity' };

/**
 * The order in which risk profiles are listed when the manifest leaves the choice to us (the
 * intersection rule of DESIGN §3): the order of the DESIGN §3 example, barbell last.
 */
export const RISK_PROFILE_ORDER: readonly PortfolioMethod[] = [
  'hrp',
  'min_variance',
  'max_sharpe',
  'risk_parity',
  'equal_weight',
  'inverse_variance',
  'barbell',
];

export const LINKAGE_METHODS = ['single', 'ward', 'average', 'complete'] as const;
export const LEAF_ORDERS = ['dendrogram', 'optimal'] as const;
export const COVARIANCE_ESTIMATORS = ['sample', 'ledoit_wolf'] as const;
export const EXPECTED_RETURN_ESTIMATORS = ['mean', 'cagr'] as const;

/** Every id a manifest or `--profiles` may name: the methods and their aliases. */
export const METHOD_IDS: readonly string[] = [...PORTFOLIO_METHODS, ...Object.keys(METHOD_ALIASES)];

/** The canonical method for an id or alias, or `undefined` when the id is unknown. */
export function canonicalMethod(id: string): PortfolioMethod | undefined {
  const aliased = METHOD_ALIASES[id];
  if (aliased !== undefined) return aliased;
  return (PORTFOLIO_METHODS as readonly string[]).includes(id) ? (id as PortfolioMethod) : undefined;
}
