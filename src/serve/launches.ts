/**
 * Runs launched from the web app, in this process: `meta run` or `sleeve run` of a profile through the
 * SDK, confined to the workspace like every other request. Each launch keeps its events (the progress
 * lines the CLI prints on a terminal, warnings, then `done` or `error`) so that a client that subscribes
 * late still sees them all, in order.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { QuantError, isQuantError, printable } from '../errors.js';
import type { Registry } from '../core/registry.js';
import { zodIssues } from '../core/params.js';
import { QuantSDK, type RunOptions } from '../sdk/quant-sdk.js';
import { workspaceRelative, type ShownText } from './http-errors.js';
import {
  LAUNCH_KINDS,
  apiPath,
  type LaunchEvent,
  type LaunchRequest,
  type LaunchRow,
  type LaunchState,
} from './api-types.js';
import { launchHold } from './_launch-hold.js';
import type { Env } from '../util/env.js';

const name = z.string().min(1).max(128);
const launchOptionsSchema = z.strictObject({
  run_id: name.optional(),
  risk_profiles: z.array(name).min(1).optional(),
  cache: z.boolean().optional(),
  backtest: z.boolean().optional(),
  execute_sleeves: z.boolean().optional(),
});
const launchRequestSchema = z.strictObject({
  kind: z.enum(LAUNCH_KINDS),
  profile: name,
  options: launchOptionsSchema.optional(),
});

/** The body of a launch request, checked (`E_PARAMS` with every problem and its JSON path). */
export function parseLaunchRequest(body: unknown): LaunchRequest {
  const parsed = launchRequestSchema.safeParse(body);
  if (parsed.success) {
    const { options } = parsed.data;
    if (parsed.data.kind === 'sleeve' && options !== undefined) {
      const metaOnly = Object.keys(options).filter((k) => k !== 'run_id');
      if (metaOnly.length > 0) {
        throw new QuantError(
          'E_PARAMS',
          `a sleeve launch takes only options.run_id, not ${metaOnly.join(', ')}`,
          {
            hint: 'risk_profiles, cache, backtest and execute_sleeves are options of a meta launch',
            details: { options: metaOnly },
          },
        );
      }
    }
    return parsed.data as LaunchRequest;
  }
  const issues = zodIssues(parsed.error, {
    input: body,
    knownKeys: Object.keys(launchRequestSchema.shape),
    knownKeysAt: { options: Object.keys(launchOptionsSchema.shape) },
  });
  throw new QuantError(
    'E_PARAMS',
    `launch request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    {
      hint: '{"kind": "meta" | "sleeve", "profile": "<profile>", "options": {"run_id", "risk_profiles", "cache", "backtest", "execute_sleeves"}}',
      issues,
    },
  );
}

interface Launch {
  readonly id: string;
  readonly request: LaunchRequest;
  readonly started: string;
  readonly events: LaunchEvent[];
  readonly listeners: Set<() => void>;
  finished: boolean;
}

function launchState(launch: Launch): LaunchState {
  const last = launch.events.at(-1);
  if (!launch.finished || last === undefined) return 'running';
  return last.type === 'done' ? 'done' : 'failed';
}

export interface LaunchContext {
  readonly workspace: string;
  readonly manifest?: string;
  readonly env: Env;
  readonly registry: () => Promise<Registry>;
  /** A launch that failed on something else than a coded error (logged with its stack). */
  readonly log: (line: string) => void;
}

/**
 * How many finished launches a server keeps (with their events), besides every running one: the oldest
 * finished is dropped first, so that a long-lived server does not grow without bound.
 */
export const KEPT_FINISHED_LAUNCHES = 100;

/** The launches of one server. */
export class Launches {
  readonly #launches = new Map<string, Launch>();
  /** The ids of the finished launches kept, oldest finished first. */
  readonly #finished: string[] = [];
  readonly #ctx: LaunchContext;

  /** Paths in the workspace as the API shows them (relative to it). */
  readonly #shown: ShownText;

  constructor(ctx: LaunchContext) {
    this.#ctx = ctx;
    this.#shown = workspaceRelative(ctx.workspace);
  }

  /** Start a launch; its events begin with `started`. */
  start(request: LaunchRequest): string {
    const id = randomUUID();
    const launch: Launch = {
      id,
      request,
      started: new Date().toISOString(),
      events: [],
      listeners: new Set(),
      finished: false,
    };
    this.#launches.set(id, launch);
    this.#emit(launch, { type: 'started', kind: request.kind, profile: request.profile });
    void this.#run(launch, request);
    return id;
  }

  /** Every launch of this server, newest first (the order they were started in, reversed). */
  list(): LaunchRow[] {
    return [...this.#launches].reverse().map(([id, launch]) => {
      const last = launch.events.at(-1);
      const runId = last?.type === 'done' ? last.run_id : (launch.request.options?.run_id ?? null);
      return {
        launch_id: id,
        kind: launch.request.kind,
        profile: printable(launch.request.profile),
        run_id: runId === null ? null : printable(runId),
        state: launchState(launch),
        started: launch.started,
        events: apiPath('launchEvents', { id }),
      };
    });
  }

  /** `E_NOT_FOUND` unless launch `id` exists. */
  require(id: string): void {
    if (this.#launches.has(id)) return;
    throw new QuantError('E_NOT_FOUND', `no launch ${JSON.stringify(id)} in this server`, {
      hint: `launch ids come from POST /api/launch (GET /api/launches lists them); the server keeps every running launch and the last ${KEPT_FINISHED_LAUNCHES} finished launches, and the run of an older one is in the Runs list (GET /api/runs)`,
    });
  }

  /** Launch `id` has finished: keep it among the last {@link KEPT_FINISHED_LAUNCHES} finished ones. */
  #keep(id: string): void {
    this.#finished.push(id);
    while (this.#finished.length > KEPT_FINISHED_LAUNCHES)
      this.#launches.delete(this.#finished.shift() as string);
  }

  /**
   * Where a subscriber of launch `id` resumes: after the event its `Last-Event-ID` names (the browser
   * sends it when it reconnects), else from the first. The header is untrusted: anything but the index
   * of an event the launch has (decimal digits only) replays from the start.
   */
  resumeAfter(id: string, lastEventId: string | undefined): number {
    this.require(id);
    const count = (this.#launches.get(id) as Launch).events.length;
    if (lastEventId === undefined || !/^\d{1,9}$/.test(lastEventId)) return 0;
    const last = Number(lastEventId);
    return last < count ? last + 1 : 0;
  }

  /**
   * Follow launch `id` from event `from` (default its first): `send` gets every event in order; resolves
   * after the last (`done` or `error`) or when `signal` aborts. `E_NOT_FOUND` for an unknown id.
   */
  async follow(
    id: string,
    send: (event: LaunchEvent, index: number) => Promise<void>,
    signal: AbortSignal,
    from = 0,
  ): Promise<void> {
    this.require(id);
    const launch = this.#launches.get(id) as Launch;
    let next = from;
    while (!signal.aborted) {
      while (next < launch.events.length) {
        await send(launch.events[next] as LaunchEvent, next);
        next++;
      }
      if (launch.finished) return;
      await new Promise<void>((wake) => {
        const done = (): void => {
          launch.listeners.delete(done);
          signal.removeEventListener('abort', done);
          wake();
        };
        launch.listeners.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  #emit(launch: Launch, event: LaunchEvent): void {
    launch.events.push(event);
    if (event.type === 'done' || event.type === 'error') {
      launch.finished = true;
      this.#keep(launch.id);
    }
    for (const wake of [...launch.listeners]) wake();
  }

  async #run(launch: Launch, request: LaunchRequest): Promise<void> {
    const runOptions: RunOptions = {
      workspace: this.#ctx.workspace,
      env: this.#ctx.env,
      confine: true,
      ...(this.#ctx.manifest === undefined ? {} : { manifest: this.#ctx.manifest }),
      ...(request.options?.run_id === undefined ? {} : { runId: request.options.run_id }),
      onProgress: (message) =>
        this.#emit(launch, { type: 'progress', message: this.#shown(printable(message)) }),
      onWarning: (message) =>
        this.#emit(launch, { type: 'warning', message: this.#shown(printable(message)) }),
    };
    try {
      await launchHold(this.#ctx.env);
      const sdk = new QuantSDK({ registry: await this.#ctx.registry() });
      const runId =
        request.kind === 'meta'
          ? await this.#runMeta(sdk, request, runOptions)
          : await this.#runSleeve(sdk, request, runOptions);
      this.#emit(launch, { type: 'done', run_id: runId });
    } catch (error) {
      if (isQuantError(error)) {
        const hint = error.hint === undefined ? {} : { hint: this.#shown(printable(error.hint)) };
        const message = this.#shown(printable(error.message));
        this.#emit(launch, { type: 'error', code: error.code, message, ...hint });
        return;
      }
      this.#ctx.log(
        `quant serve: launch of ${request.kind} ${request.profile} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      this.#emit(launch, {
        type: 'error',
        code: 'E_INTERNAL',
        message: 'internal error; the server log has the details',
      });
    }
  }

  async #runMeta(sdk: QuantSDK, request: LaunchRequest, runOptions: RunOptions): Promise<string> {
    const o = request.options ?? {};
    const result = await sdk.runMeta(request.profile, {
      ...runOptions,
      ...(o.risk_profiles === undefined ? {} : { riskProfiles: o.risk_profiles }),
      ...(o.cache === undefined ? {} : { cache: o.cache }),
      ...(o.backtest === undefined ? {} : { backtest: o.backtest }),
      ...(o.execute_sleeves === true ? { executeSleeves: { executor: 'local' as const } } : {}),
    });
    return result.runId;
  }

  async #runSleeve(sdk: QuantSDK, request: LaunchRequest, runOptions: RunOptions): Promise<string> {
    const result = await sdk.runStage(
      'sleeve.backtest',
      { profile: request.profile },
      { ...runOptions, fresh: true },
    );
    return result.runId;
  }
}
