/**
 * A period of a backtest stream that loses more than the portfolio is worth: a net return below −1. The
 * holding arithmetic charges costs additively (R_t − cost), so costs of more than 100 % of the portfolio
 * on a rebalance day — or a gross return below −1 — give a return no stream may hold (the readers of
 * streams refuse it). The backtests find it before they write anything.
 */

/** A trade of a stream: its row in the stream, its cost (subtracted from that row's return) and turnover. */
export interface CostedTrade {
  readonly row: number;
  readonly cost: number;
  readonly turnover: number;
}

/** The first period whose net return is below −1, with what it was made of. */
export interface LossBeyondCapital {
  readonly row: number;
  readonly date: string;
  /** The return written: gross − cost. */
  readonly net: number;
  readonly gross: number;
  readonly cost: number;
  readonly turnover: number;
}

/**
 * The trades of a stream held without a policy: one per window, on its first held row (cost 0 included).
 *
 * @param windows the windows in stream order, with the days each holds.
 */
export function windowTrades(
  windows: readonly { readonly heldDays: number; readonly cost: number; readonly turnover: number }[],
): CostedTrade[] {
  let row = 0;
  return windows.map((w) => {
    const trade = { row, cost: w.cost, turnover: w.turnover };
    row += w.heldDays;
    return trade;
  });
}

/**
 * The first row of `returns` below −1, or `undefined`; its gross return is the net plus the cost of the
 * trade on that row (0 without one).
 *
 * @param dates length-T days of the stream; `returns` length-T net returns; `trades` at most one per row.
 */
export function firstLossBeyondCapital(
  dates: readonly string[],
  returns: Float64Array,
  trades: readonly CostedTrade[],
): LossBeyondCapital | undefined {
  const row = returns.findIndex((r) => r < -1);
  if (row < 0) return undefined;
  const net = returns[row] as number;
  const trade = trades.find((t) => t.row === row);
  const cost = trade?.cost ?? 0;
  return { row, date: dates[row] as string, net, gross: net + cost, cost, turnover: trade?.turnover ?? 0 };
}

/** What happened, for a message: `on <date> the return after costs is … (gross …, costs … on a turnover of …)`. */
export function describeLossBeyondCapital(loss: LossBeyondCapital): string {
  const n = (x: number): string => String(Number(x.toPrecision(6)));
  const cause =
    loss.gross < -1
      ? 'the gross return itself is below −1: short legs lost more than the capital'
      : 'the costs are more than the portfolio was worth';
  return `on ${loss.date} the return after costs is ${n(loss.net)} (gross ${n(loss.gross)}, costs ${n(loss.cost)} on a turnover of ${n(loss.turnover)}), a loss of more than 100 %: ${cause}`;
}
