/**
 * `quant worker`: a consumer of the sleeve jobs that `--execute-sleeves --executor bullmq` queues, for
 * exactly one workspace. The queue client and the job runner are loaded on demand, so that importing
 * this module costs the CLI's other commands nothing.
 */
import { displayPath } from '../artifacts/display-path.js';
import { readManifest } from '../manifest/index.js';
import { loadOptional } from './optional-dependency.js';
import type { QueueWorker } from '../exec/queue-worker.js';

export type { QueueWorker } from '../exec/queue-worker.js';

/** The worker's Redis connection, its workspace, and how it takes jobs. */
export interface SleeveWorkerOptions {
  readonly redisUrl: string;
  readonly queueName: string;
  /** The one workspace this worker serves: from its own command line, never from a job. */
  readonly workspace: string;
  /** Absolute path of the workspace's manifest. */
  readonly manifest: string;
  readonly concurrency: number;
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  readonly maxStalledCount?: number;
  readonly onLog: (line: string) => void;
}

/**
 * Check the manifest (a wrong workspace fails now, not on every job), then connect and start taking
 * sleeve jobs (`E_QUEUE` when Redis does not answer).
 */
export async function startSleeveWorker(options: SleeveWorkerOptions): Promise<QueueWorker> {
  const [{ startQueueWorker }, spec] = await Promise.all([
    loadOptional('queue', () => import('../exec/queue-worker.js')),
    import('./sleeve-job-spec.js'),
  ]);
  await readManifest(options.manifest);
  const worker = await startQueueWorker({
    redisUrl: options.redisUrl,
    queueName: options.queueName,
    runners: { [spec.SLEEVE_JOB_NAME]: spec.SLEEVE_JOB_RUNNER },
    checks: { [spec.SLEEVE_JOB_NAME]: (data) => void spec.parseSleeveJob(data) },
    settings: spec.sleeveJobSettings({ workspace: options.workspace, manifest: options.manifest }),
    concurrency: options.concurrency,
    ...(options.lockDurationMs === undefined ? {} : { lockDurationMs: options.lockDurationMs }),
    ...(options.stalledIntervalMs === undefined ? {} : { stalledIntervalMs: options.stalledIntervalMs }),
    ...(options.maxStalledCount === undefined ? {} : { maxStalledCount: options.maxStalledCount }),
    onLog: options.onLog,
  });
  // Accepted, but said at once: a sleeve key names a manifest outside the workspace by its absolute path,
  // so only a coordinator that names the same path plans jobs this worker can run.
  if (displayPath(options.workspace, options.manifest) === options.manifest)
    options.onLog(
      `manifest ${options.manifest} is outside the workspace: this worker runs only jobs of a coordinator run with --manifest ${options.manifest}`,
    );
  return worker;
}
