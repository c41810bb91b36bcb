/**
 * The optimizer options as zod schemas, one per option, shared by every face that accepts them: the
 * `portfolio.optimize` stage params (snake_case keys, with defaults and descriptions) and the library's
 * `optimizePortfolio` (camelCase keys). A value one face accepts, the other accepts; a value one refuses,
 * the other refuses with the same rule.
 */
import { z } from 'zod';
import {
  COVARIANCE_ESTIMATORS,
  EXPECTED_RETURN_ESTIMATORS,
  LEAF_ORDERS,
  LINKAGE_METHODS,
  METHOD_ALIASES,
  PORTFOLIO_METHODS,
} from '../../util/vocabulary.js';

/** Every method id the faces accept: the methods, then their documented aliases (`erc`). */
const OPTIMIZE_METHOD_IDS = [...PORTFOLIO_METHODS, ...Object.keys(METHOD_ALIASES)] as [string, ...string[]];

/** One zod schema per optimizer option, without defaults (each face adds its own). */
export const optimizeOptionSchemas = {
  method: z.enum(OPTIMIZE_METHOD_IDS),
  linkage: z.enum(LINKAGE_METHODS),
  leafOrder: z.enum(LEAF_ORDERS),
  covariance: z.enum(COVARIANCE_ESTIMATORS),
  expectedReturns: z.enum(EXPECTED_RETURN_ESTIMATORS),
  riskFreeRate: z.number().finite(),
  minWeight: z.number().min(0).max(1),
  maxWeight: z.number().min(0).max(1),
  periodsPerYear: z.number().positive(),
} as const;
