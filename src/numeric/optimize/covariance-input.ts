/**
 * The check every covariance-based optimizer applies to Σ, for the library's building blocks that take a
 * covariance from the caller (`riskContributions`, `hrpTree` with a matrix): square, finite, symmetric,
 * non-negative variances, no covariance above the product of the two volatilities.
 */
export { checkCovariance } from './_inputs.js';
