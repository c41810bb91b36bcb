import { relative } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { QuantError } from '../../errors.js';
import { QuantSDK } from '../../sdk/quant-sdk.js';
import { parseDecimal } from '../../util/decimal.js';
import type { CliContext } from '../context.js';
import { formatColumns, stageResultJson } from '../output.js';
import type { MetaTradesValue } from '../../sdk/meta-run.js';

/** A decimal number as a CSV cell takes one (`1e6`, `250000.50`); not `0x10`, `0b1`, `Infinity` or empty. */
function number(value: string): number {
  const n = parseDecimal(value);
  if (n === undefined) {
    throw new QuantError('E_USAGE', `--nav ${JSON.stringify(value)} is not a number`, {
      hint: 'give the portfolio value as a number, e.g. --nav 1e6',
    });
  }
  return n;
}

function wholeDays(value: string): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw new QuantError(
      'E_USAGE',
      `--max-data-age-days ${JSON.stringify(value)} is not a whole number of days`,
      {
        hint: 'e.g. --max-data-age-days 5',
      },
    );
  }
  return n;
}

/**
 * `quant trades --run-id R --profile P --prices prices.csv --nav 1e6 [--holdings h.csv] [--lots l.csv]`:
 * the `meta.trades` stage run into the existing meta run R, which writes the orders (CSV) and the full
 * trade list (JSON). Nothing is sent anywhere.
 */
export function tradesCommand(ctx: CliContext): Command {
  return new Command('trades')
    .description(
      'turn the flattened target of a risk profile of a meta run into orders in whole lots (CSV + JSON; nothing is sent)',
    )
    .requiredOption('--run-id <id>', 'the meta run')
    .requiredOption('--profile <risk_profile>', 'the risk profile whose target becomes orders')
    .option('--meta-profile <meta_profile>', "the meta profile (default: the run's own)")
    .requiredOption('--prices <file>', 'CSV of symbol,price')
    .option('--holdings <file>', 'CSV of symbol,quantity held now (default: nothing held)')
    .option('--lots <file>', 'CSV of symbol,lot_size,min_ticket (default: lot 1, no minimum ticket)')
    .requiredOption('--nav <value>', 'portfolio value the weights apply to (holdings plus cash)', number)
    .option(
      '--max-data-age-days <days>',
      "refuse a target whose data is older (default: the meta profile's max_data_age_days)",
      wholeDays,
    )
    .option('--allow-stale', 'produce the orders from stale data anyway (recorded)')
    .option(
      '--output <file>',
      'orders CSV (the JSON goes next to it; default runs/<run>/data/trades_{M}_{P}.csv)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      await QuantSDK.readRun(opts.runId, { workspace: ctx.workspace, cwd: ctx.cwd, env: ctx.env });
      const sdk = new QuantSDK({ registry: await ctx.registry() });
      const params = {
        risk_profile: opts.profile,
        prices_file: opts.prices,
        nav: opts.nav,
        ...(opts.metaProfile === undefined ? {} : { meta_profile: opts.metaProfile }),
        ...(opts.holdings === undefined ? {} : { holdings_file: opts.holdings }),
        ...(opts.lots === undefined ? {} : { lots_file: opts.lots }),
        ...(opts.output === undefined ? {} : { output: opts.output }),
        ...(opts.maxDataAgeDays === undefined ? {} : { max_data_age_days: opts.maxDataAgeDays }),
        ...(opts.allowStale === true ? { allow_stale: true } : {}),
      };
      const result = await sdk.runStage('meta.trades', params, ctx.runOptions(opts.runId));
      if (opts.json === true) {
        ctx.io.out(stageResultJson(result));
        return;
      }
      ctx.io.out(`meta.trades: ${result.summary}`);
      printTradeList(ctx, result.value);
    });
}

/**
 * The orders as columns (none: nothing), the atomic sleeves with their last refit and last data date, then
 * the paths of the orders CSV and of the full trade list.
 */
export function printTradeList(ctx: CliContext, value: MetaTradesValue, label = ''): void {
  if (value.orders.length > 0) {
    ctx.io.out(
      formatColumns([
        ['symbol', 'side', 'quantity', 'price', 'notional'],
        ...value.orders.map((o) => [
          o.symbol,
          o.side,
          String(o.quantity),
          String(o.price),
          String(o.notional),
        ]),
      ]),
    );
  }
  if (value.sleeves.length > 0) {
    ctx.io.out(
      formatColumns([
        ['sleeve', 'last refit', 'last date', 'lag (days)'],
        ...value.sleeves.map((s) => [s.path, s.last_refit ?? '—', s.last_date, String(s.lag_days)]),
      ]),
    );
  }
  ctx.io.out(`trades${label}: ${relative(ctx.cwd, value.csv) || value.csv}`);
  ctx.io.out(`trade list${label}: ${relative(ctx.cwd, value.json) || value.json}`);
}
