/**
 * Closed vocabularies shared by every layer (the manifest validates against them, the optimizers
 * implement them, the sleeve-run readers recognise them in file names). Imports nothing.
 */

/** Portfolio construction methods (risk profiles), DESIGN §9. */
export const PORTFOLIO_METHODS = [
  'equal_weight',
  'inverse_variance',
  'hrp',
  'min_variance',
  'max_sharpe',
  'risk_parity',
  'barbell',
  'min_cvar',
  'min_cdar',
  'mean_cvar',
] as const;
export type PortfolioMethod = (typeof PORTFOLIO_METHODS)[number];

/** Documented aliases of method ids. */
export const METHOD_ALIASES: Readonly<Record<string, PortfolioMethod>> = { erc: 'risk_parity' };

/** Every id a manifest, `--profiles` or a predecessor file name may use: the methods and their aliases. */
export const METHOD_IDS: readonly string[] = [...PORTFOLIO_METHODS, ...Object.keys(METHOD_ALIASES)];

/** The canonical method for an id or alias, or `undefined` when the id is unknown. */
export function canonicalMethod(id: string): PortfolioMethod | undefined {
  // Own keys only: `canonicalMethod('constructor')` must not find Object's constructor.
  const aliased = Object.hasOwn(METHOD_ALIASES, id) ? METHOD_ALIASES[id] : undefined;
  if (aliased !== undefined) return aliased;
  return (PORTFOLIO_METHODS as readonly string[]).includes(id) ? (id as PortfolioMethod) : undefined;
}

/**
 * The order in which risk profiles are listed when the manifest leaves the choice to us (the
 * intersection rule of DESIGN §3): the order of the DESIGN §3 example, then the tail-risk methods,
 * barbell last.
 */
export const RISK_PROFILE_ORDER: readonly PortfolioMethod[] = [
  'hrp',
  'min_variance',
  'max_sharpe',
  'risk_parity',
  'equal_weight',
  'inverse_variance',
  'min_cvar',
  'min_cdar',
  'mean_cvar',
  'barbell',
];

/** Linkage criteria of the hierarchical clustering (scipy names). */
export const LINKAGE_METHODS = ['single', 'complete', 'average', 'ward'] as const;
export type LinkageMethod = (typeof LINKAGE_METHODS)[number];

/** `dendrogram`: pre-order of the tree (PyPortfolioOpt); `optimal`: optimal leaf ordering first (skfolio). */
export const LEAF_ORDERS = ['dendrogram', 'optimal'] as const;
export type LeafOrder = (typeof LEAF_ORDERS)[number];

export const COVARIANCE_ESTIMATORS = ['sample', 'ledoit_wolf'] as const;
export type CovarianceEstimator = (typeof COVARIANCE_ESTIMATORS)[number];

export const EXPECTED_RETURN_ESTIMATORS = ['mean', 'cagr'] as const;
export type ExpectedReturnEstimator = (typeof EXPECTED_RETURN_ESTIMATORS)[number];

/**
 * What the numbers of an input table are: price levels (simple returns p_t/p_{t−1} − 1 are formed),
 * simple returns as given, or log returns ln(p_t/p_{t−1}) (converted exactly to exp(r) − 1).
 */
export const INPUT_KINDS = ['prices', 'returns', 'log_returns'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

/**
 * What to do with missing cells of an input table: drop every row with one (the default), drop every
 * asset with one, or carry the last price forward for at most `ffill_limit` rows, then drop the rows
 * still missing.
 */
export const MISSING_POLICIES = ['drop_rows', 'drop_assets', 'ffill'] as const;
export type MissingPolicy = (typeof MISSING_POLICIES)[number];

/** Default of `ffill_limit`: one trading week of daily data. */
export const DEFAULT_FFILL_LIMIT = 5;

/** Closed vocabulary of stage categories. */
export const STAGE_CATEGORIES = ['portfolio', 'meta', 'sleeve'] as const;
export type StageCategory = (typeof STAGE_CATEGORIES)[number];

/**
 * The range of an annualisation factor A (periods per year): from 1 (annual data) to one a minute in a
 * leap year, 366 × 24 × 60. Outside it a factor is a typo (1e-300, 1e308) that would scale every
 * annualised figure to nonsense.
 */
export const PERIODS_PER_YEAR_RANGE = { min: 1, max: 527_040 } as const;
