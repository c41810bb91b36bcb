/**
 * The optimizer options as zod schemas, one per option, shared by every face that accepts them: the
 * `portfolio.optimize` stage params (snake_case keys, with defaults and descriptions) and the library's
 * `optimizePortfolio` (camelCase keys). A value one face accepts, the other accepts; a value one refuses,
 * the other refuses with the same rule.
 */
import { z } from 'zod';
import { QuantError } from '../../errors.js';
import { didYouMean } from '../../util/suggest.js';
import {
  COVARIANCE_ESTIMATORS,
  EXPECTED_RETURN_ESTIMATORS,
  LEAF_ORDERS,
  LINKAGE_METHODS,
  METHOD_ALIASES,
  PORTFOLIO_METHODS,
  PERIODS_PER_YEAR_RANGE,
} from '../../util/vocabulary.js';

/** Every method id the faces accept: the methods, then their documented aliases (`erc`). */
const OPTIMIZE_METHOD_IDS = [...PORTFOLIO_METHODS, ...Object.keys(METHOD_ALIASES)] as [string, ...string[]];

/** One risk budget: a positive, finite share of the risk (budgets are relative: divided by their sum). */
const riskBudgetValue = z.number().positive().finite();

/** Reference weights of `turnover`: one per column, or a record by asset name (missing assets 0). */
const turnoverReference = z.union([
  z.array(z.number().finite().min(0)).min(2),
  z.record(z.string().min(1), z.number().finite().min(0)),
]);
const maxTurnover = z.number().min(0).max(2);
const turnoverPenalty = z.number().finite().min(0).max(1e6);
const boundOrPenalty = { error: 'set the bound, the penalty or both' };

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
  periodsPerYear: z
    .number()
    .min(PERIODS_PER_YEAR_RANGE.min, {
      error: `must be at least ${PERIODS_PER_YEAR_RANGE.min} period a year (annual data)`,
    })
    .max(PERIODS_PER_YEAR_RANGE.max, {
      error: `must be at most ${PERIODS_PER_YEAR_RANGE.max} periods a year (one a minute)`,
    }),
  cvarLevel: z.number().gt(0).lt(1),
  /** risk_parity: budgets by asset name (the stage param; the library also takes one per column). */
  riskBudget: z.record(z.string().min(1), riskBudgetValue),
  riskBudgetList: z.array(riskBudgetValue).min(2),
  /**
   * General linear constraints `lower ≤ Σ_j coefficients[j]·w_j ≤ upper`: coefficients one per asset
   * (an array in column order) or keyed by asset name (missing assets 0); at least one side.
   */
  constraints: z.array(
    z
      .strictObject({
        name: z.string().min(1),
        coefficients: z.union([z.array(z.number().finite()), z.record(z.string(), z.number().finite())]),
        lower: z.number().finite().optional(),
        upper: z.number().finite().optional(),
      })
      .refine((c) => c.lower !== undefined || c.upper !== undefined, {
        message: 'give lower, upper or both',
      }),
  ),
  /** Stay near reference weights: Σ|w − w_ref| ≤ max_turnover and/or penalty·Σ|w − w_ref|. */
  turnover: z
    .strictObject({
      reference: turnoverReference,
      max_turnover: maxTurnover.optional(),
      penalty: turnoverPenalty.optional(),
    })
    .refine((t) => t.max_turnover !== undefined || t.penalty !== undefined, boundOrPenalty),
  turnoverOption: z
    .strictObject({
      reference: turnoverReference,
      maxTurnover: maxTurnover.optional(),
      penalty: turnoverPenalty.optional(),
    })
    .refine((t) => t.maxTurnover !== undefined || t.penalty !== undefined, boundOrPenalty),
} as const;

/**
 * The reference weights of `turnover` as one value per column: a list in column order, a record by
 * asset name (an unknown name is E_PARAMS with a did-you-mean; an asset it leaves out is held at 0).
 */
export function resolveTurnoverReference(
  reference: readonly number[] | Readonly<Record<string, number>>,
  assets: readonly string[] | undefined,
  n: number,
  option: string,
): number[] {
  if (Array.isArray(reference)) {
    const list = reference as readonly number[];
    if (list.length !== n) {
      throw new QuantError('E_PARAMS', `${option}: ${list.length} reference weights for ${n} assets`, {
        hint: 'give one weight per column, in column order, or a record by asset name',
      });
    }
    return [...list];
  }
  const record = reference as Readonly<Record<string, number>>;
  if (assets === undefined) {
    throw new QuantError('E_PARAMS', `${option}: reference weights by name need named assets`, {
      hint: 'pass { assets, returns }, or give the weights as a list in column order',
    });
  }
  for (const key of Object.keys(record)) {
    if (!assets.includes(key)) {
      throw new QuantError('E_PARAMS', `${option}.${key}: unknown asset${didYouMean(key, assets)}`, {
        hint: `the assets are ${assets.join(', ')}`,
        details: { asset: key },
      });
    }
  }
  return assets.map((a) => record[a] ?? 0);
}

/**
 * Risk budgets as one value per column: a list is taken in column order, a record by asset name (an
 * unknown name is E_PARAMS with a did-you-mean, a column without a budget is E_PARAMS naming it). Only
 * `risk_parity` reads budgets: with another method they are E_PARAMS. `option` names the option in
 * messages (`risk_budget`, `options.riskBudget`).
 */
export function resolveRiskBudget(
  budget: readonly number[] | Readonly<Record<string, number>>,
  assets: readonly string[] | undefined,
  n: number,
  method: string,
  option: string,
): number[] {
  if (method !== 'risk_parity') {
    throw new QuantError('E_PARAMS', `${option} applies to method risk_parity, not ${method}`, {
      hint: 'use method=risk_parity (erc), or drop the risk budget',
    });
  }
  if (Array.isArray(budget)) {
    const list = budget as readonly number[];
    if (list.length !== n) {
      throw new QuantError('E_PARAMS', `${option}: ${list.length} budgets for ${n} assets`, {
        hint: 'give one budget per column, in column order, or a record by asset name',
      });
    }
    return [...list];
  }
  const record = budget as Readonly<Record<string, number>>;
  if (assets === undefined) {
    throw new QuantError('E_PARAMS', `${option}: budgets by name need named assets`, {
      hint: 'pass { assets, returns }, or give the budgets as a list in column order',
    });
  }
  for (const key of Object.keys(record)) {
    if (!assets.includes(key)) {
      throw new QuantError('E_PARAMS', `${option}.${key}: unknown asset${didYouMean(key, assets)}`, {
        hint: `the assets are ${assets.join(', ')}`,
        details: { asset: key },
      });
    }
  }
  const missing = assets.filter((a) => !Object.hasOwn(record, a));
  if (missing.length > 0) {
    throw new QuantError('E_PARAMS', `${option}: no budget for ${missing.join(', ')}`, {
      hint: 'give every asset a positive budget (leave an asset out of the assets to give it none)',
      details: { missing },
    });
  }
  return assets.map((a) => record[a] as number);
}
