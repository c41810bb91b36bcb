/**
 * The HTTP API of `quant serve`: its routes and the JSON of every request and response. The web app
 * codes against this file; the server implements it (src/serve/app.ts). Every `/api` request carries the
 * per-process token (header {@link TOKEN_HEADER}, or `?token=` on a GET), and a POST also a same-origin
 * `Origin`. A failure is {@link ApiError} with the CLI's `E_*` code.
 */
import type { CompareView, RunView, RunsList, WorkspaceInfo } from '../sdk/run-view-types.js';

export type {
  ArtifactRow,
  AuditVerdict,
  CompareColumn,
  CompareView,
  Jsonified,
  LedgerEntry,
  ReportData,
  RiskProfileData,
  RiskProfileView,
  RunFailure,
  RunRow,
  RunView,
  RunViewStatus,
  RunsList,
  SkippedRunRow,
  TreeNode,
  WeightDiffRow,
  WorkspaceInfo,
} from '../sdk/run-view-types.js';

/** The header that carries the token (also accepted as `?token=` on GET, for links, iframes and EventSource). */
export const TOKEN_HEADER = 'X-Quant-Token';
export const TOKEN_QUERY = 'token';

/**
 * Routes (`:id` a run id, `*` an artifact path inside the run folder, `/`-separated, URL-encoded per
 * segment). Static files: `GET /` (index.html) and `GET /assets/<file>` from dist/web, no token needed.
 */
export const API_ROUTES = {
  /** GET → {@link InfoResponse} */
  info: '/api/info',
  /** GET → {@link RunsResponse} */
  runs: '/api/runs',
  /** GET → {@link RunResponse} */
  run: '/api/runs/:id',
  /** GET → the file's bytes (`Content-Disposition: attachment`; `?inline=1` to view) */
  artifact: '/api/runs/:id/artifacts/*',
  /** GET → the run's HTML report, sandboxed (`Content-Security-Policy: sandbox`), for an iframe */
  report: '/api/runs/:id/report',
  /** GET `?runs=a,b[,c]` (2 to {@link MAX_COMPARE_RUNS} run ids) → {@link CompareResponse} */
  compare: '/api/compare',
  /** POST {@link LaunchRequest} → {@link LaunchResponse} (201); refused in read-only mode */
  launch: '/api/launch',
  /** GET → `text/event-stream` of {@link LaunchEvent}s, from the start (after `Last-Event-ID` if sent) */
  launchEvents: '/api/launch/:id/events',
  /** GET → {@link LaunchesResponse}: the launches of this server, newest first */
  launches: '/api/launches',
} as const;

export const MAX_COMPARE_RUNS = 6;

/** Build a route's URL: `apiPath('run', { id })`; the artifact path goes in `rest`. */
export function apiPath(
  route: keyof typeof API_ROUTES,
  params: { readonly id?: string; readonly rest?: string } = {},
): string {
  let path: string = API_ROUTES[route];
  if (params.id !== undefined) path = path.replace(':id', encodeURIComponent(params.id));
  if (params.rest !== undefined)
    path = path.replace('*', params.rest.split('/').map(encodeURIComponent).join('/'));
  return path;
}

/** Every failure: HTTP 4xx/5xx with this body. `code` is one of docs/errors.md (`E_RUN_NOT_FOUND`, ...). */
export interface ApiError {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly hint?: string;
    readonly details?: Readonly<Record<string, unknown>>;
  };
}

/** The workspace's folder name (never its full path), the version, the manifest's profiles, the mode. */
export interface InfoResponse extends WorkspaceInfo {
  readonly read_only: boolean;
}

export type RunsResponse = RunsList;
export type RunResponse = RunView;
export type CompareResponse = CompareView;

/** What a launch runs: `quant meta run --profile P` or `quant sleeve run --profile P`. */
export const LAUNCH_KINDS = ['meta', 'sleeve'] as const;
export type LaunchKind = (typeof LAUNCH_KINDS)[number];

export interface LaunchRequest {
  readonly kind: LaunchKind;
  readonly profile: string;
  readonly options?: LaunchOptions;
}

/** The options of the CLI command, by their flag names; every one optional. */
export interface LaunchOptions {
  /** `--run-id` */
  readonly run_id?: string;
  /** meta: `--profiles a,b` (risk profiles) */
  readonly risk_profiles?: readonly string[];
  /** meta: `--no-cache` when false */
  readonly cache?: boolean;
  /** meta: `--no-backtest` when false */
  readonly backtest?: boolean;
  /** meta: `--execute-sleeves` (local processes) */
  readonly execute_sleeves?: boolean;
}

export interface LaunchResponse {
  readonly launch_id: string;
  /** {@link API_ROUTES.launchEvents} of this launch. */
  readonly events: string;
}

/** Where a launch is: still running, ended with its run (`done`) or with an error (`failed`). */
export const LAUNCH_STATES = ['running', 'done', 'failed'] as const;
export type LaunchState = (typeof LAUNCH_STATES)[number];

/** One launch of this server, as {@link API_ROUTES.launches} lists it. */
export interface LaunchRow {
  readonly launch_id: string;
  readonly kind: LaunchKind;
  /** The profile launched, escaped with `printable` as every name the pages show. */
  readonly profile: string;
  /** The run id asked for (`options.run_id`), or the run's once `done`; null while not known yet. */
  readonly run_id: string | null;
  readonly state: LaunchState;
  /** When the server received the launch (ISO 8601, UTC). */
  readonly started: string;
  /** {@link API_ROUTES.launchEvents} of this launch. */
  readonly events: string;
}

/** The launches of this server (every running one and the last 100 finished), newest first. */
export interface LaunchesResponse {
  readonly launches: readonly LaunchRow[];
}

/**
 * Server-Sent Events of a launch (the SSE `event:` is `type`, `data:` the JSON object). `progress` carries
 * the lines the CLI prints on a terminal; the stream ends with one `done` or one `error`.
 */
export type LaunchEvent =
  | { readonly type: 'started'; readonly kind: LaunchKind; readonly profile: string }
  | { readonly type: 'progress'; readonly message: string }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'done'; readonly run_id: string }
  | { readonly type: 'error'; readonly code: string; readonly message: string; readonly hint?: string };
