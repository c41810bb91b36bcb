// `quant meta run --execute-sleeves`: the flags, their checks, and the first phase (sleeve production)
// under SIGINT/SIGTERM handling. The meta stages then run with the produced runs pinned.
import { InvalidArgumentError } from '@commander-js/extra-typings';
import { QuantError } from '../../errors.js';
import {
  DEFAULT_QUEUE_NAME,
  DEFAULT_REDIS_URL,
  executeMetaSleeves,
  type ExecuteSleevesOptions,
  type MetaSleevesLocation,
  type ProducedSleeves,
  type SleeveExecutorKind,
} from '../../sdk/sleeve-jobs.js';
import type { CliContext } from '../context.js';
import type { Env } from '../../util/env.js';

/** The flags of `quant meta run` that belong to `--execute-sleeves`. */
export interface ExecuteSleevesFlags {
  executeSleeves?: true;
  executor?: SleeveExecutorKind;
  concurrency?: number;
  redis?: string;
  queue?: string;
  redisTimeout?: number;
  timeout?: number;
  rebuildSleeves?: true;
}

export const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
};

/** The least `--redis-timeout`: the coordinator asks Redis every quarter of it, and a round trip takes time. */
const MIN_REDIS_TIMEOUT_S = 0.5;

export const redisTimeoutSeconds = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < MIN_REDIS_TIMEOUT_S)
    throw new InvalidArgumentError(`expected seconds ≥ ${MIN_REDIS_TIMEOUT_S}`);
  return n;
};

export const positiveSeconds = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected seconds > 0');
  return n;
};

/** The SDK options of the flags; E_USAGE for executor flags without `--execute-sleeves`. */
export function executeSleevesOptions(
  flags: ExecuteSleevesFlags,
  env: Env,
): ExecuteSleevesOptions | undefined {
  if (flags.executeSleeves !== true) {
    const stray = (
      ['executor', 'concurrency', 'redis', 'queue', 'redisTimeout', 'timeout', 'rebuildSleeves'] as const
    ).filter((k) => flags[k] !== undefined);
    if (stray.length > 0) {
      throw new QuantError(
        'E_USAGE',
        `${stray.map((k) => `--${FLAG_NAMES[k] ?? k}`).join(', ')} ${stray.length === 1 ? 'applies' : 'apply'} only with --execute-sleeves`,
        {
          hint: 'add --execute-sleeves to produce the sleeves first, or drop these flags',
        },
      );
    }
    return undefined;
  }
  const executor = flags.executor ?? 'local';
  if (
    executor === 'local' &&
    (flags.redis !== undefined || flags.queue !== undefined || flags.redisTimeout !== undefined)
  ) {
    throw new QuantError('E_USAGE', '--redis, --queue and --redis-timeout apply to --executor bullmq only');
  }
  if (executor === 'bullmq' && flags.concurrency !== undefined) {
    throw new QuantError('E_USAGE', '--concurrency applies to --executor local only', {
      hint: 'with bullmq, each worker sets its own: quant worker --concurrency N',
    });
  }
  return {
    executor,
    ...(flags.concurrency === undefined ? {} : { concurrency: flags.concurrency }),
    ...(executor === 'bullmq'
      ? {
          redis: flags.redis ?? nonEmpty(env['QUANT_REDIS_URL']) ?? DEFAULT_REDIS_URL,
          queue: flags.queue ?? nonEmpty(env['QUANT_QUEUE']) ?? DEFAULT_QUEUE_NAME,
          ...(flags.redisTimeout === undefined
            ? {}
            : { redisTimeoutMs: Math.round(flags.redisTimeout * 1000) }),
        }
      : {}),
    ...(flags.timeout === undefined ? {} : { timeoutMs: Math.round(flags.timeout * 1000) }),
    ...(flags.rebuildSleeves === true ? { rebuild: true } : {}),
  };
}

/** Flags whose option name is not their camel-cased key. */
const FLAG_NAMES: Partial<Record<keyof ExecuteSleevesFlags, string>> = {
  redisTimeout: 'redis-timeout',
  rebuildSleeves: 'rebuild-sleeves',
};

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * Produce the sleeves; SIGINT/SIGTERM stop them (E_INTERRUPTED naming the unfinished sleeves, exit 130 /
 * 143 as for a stopped run, so the meta stages never start), a second signal exits at once.
 */
export async function produceSleevesWithSignals(
  ctx: CliContext,
  metaProfile: string,
  where: MetaSleevesLocation,
  options: ExecuteSleevesOptions,
): Promise<ProducedSleeves> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    ctx.io.err(`${signal}: stopping the sleeves (again to exit at once)`);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await executeMetaSleeves(metaProfile, where, {
      ...options,
      signal: controller.signal,
      // Notices (a job waiting for a lock, ...) are no progress: they are printed in pipes too.
      onNotice: (line) => ctx.io.err(line),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** One line per produced sleeve for the text output. */
export function describeSleeves(sleeves: ProducedSleeves): string[] {
  const produced = sleeves.results.filter((r) => r.status === 'produced').length;
  const head = `sleeves: ${sleeves.results.length} ready (${produced} produced, ${sleeves.results.length - produced} reused) with the ${sleeves.executor} executor`;
  return [head, ...sleeves.results.map((r) => `  ${r.profile} → ${r.run_id} (${r.status})`)];
}
