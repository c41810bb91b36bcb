/**
 * A backtest never writes a stream that its readers refuse: a period that loses more than the portfolio is
 * worth (a net return below −1, see numeric/backtest/loss-beyond-capital.ts) is `E_INPUT_VALUE` before
 * anything is written.
 */
import { QuantError, type ErrorLocation } from '../errors.js';
import {
  describeLossBeyondCapital,
  firstLossBeyondCapital,
  windowTrades,
  type CostedTrade,
} from '../numeric/backtest/loss-beyond-capital.js';

/** A stream as a backtest produced it: its trades from its policy's events, else one per window. */
export interface CostedStream {
  readonly dates: readonly string[];
  readonly returns: Float64Array;
  readonly events?: readonly CostedTrade[];
  readonly windows: readonly {
    readonly heldDays: number;
    readonly cost: number;
    readonly turnover: number;
  }[];
}

/**
 * Throw `E_INPUT_VALUE` at the first period of `stream` below −1: `what` names the stream (`sleeve profile
 * "S", risk profile hrp`), `hint` the settings to lower, `location` where they are.
 */
export function assertStreamAboveTotalLoss(
  stream: CostedStream,
  what: string,
  hint: string,
  location: ErrorLocation,
): void {
  const trades = stream.events ?? windowTrades(stream.windows);
  const loss = firstLossBeyondCapital(stream.dates, stream.returns, trades);
  if (loss === undefined) return;
  throw new QuantError('E_INPUT_VALUE', `${what}: ${describeLossBeyondCapital(loss)}`, {
    location,
    hint,
    details: { date: loss.date, net: loss.net, gross: loss.gross, cost: loss.cost, turnover: loss.turnover },
  });
}
