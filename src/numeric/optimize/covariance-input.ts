/**
 * The check every covariance-based optimizer applies to Σ, for the library's building blocks that take a
 * covariance from the caller (`riskContributions`, `hrpTree` with a matrix): square, finite, symmetric,
 * non-negative variances, no covariance above the product of the two volatilities; and, as those
 * building blocks have no solver to meet a negative pivot, positive semidefinite within a relative
 * tolerance (pivoted LDLᵀ).
 */
export { assertPositiveSemidefinite, checkCovariance } from './_inputs.js';
