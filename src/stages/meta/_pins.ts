/**
 * Checks of a pinned sleeve run (a manifest entry's `run_id`, or the `sleeve_runs` param): the run must be
 * a run of the sleeve's profile — always — and must have succeeded, unless the manifest's pin says
 * `allow_unsuccessful: true` (then a failed or incomplete run is used, and the meta run records it). A run
 * that is still being written is never used.
 *
 * Predecessor run folders (no run.json) state their profile in `config/resolved_manifest.json`; they
 * record no status, so one counts as successful when it holds what a meta run reads
 * (`data/portfolio_flattened.json` and a return stream), and as incomplete otherwise.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { QuantError } from '../../errors.js';
import {
  describeInterruption,
  inspectRunLock,
  listReturnStreams,
  PHYSICAL_WEIGHTS_FILE,
  PREDECESSOR_MANIFEST,
  readRunJsonFile,
  type SleeveRunRef,
} from '../../artifacts/index.js';

/** A sleeve's pin as the checks see it. */
export interface PinnedSleeve {
  readonly profile: string;
  /** The manifest's pin accepts a failed or incomplete run. */
  readonly allowUnsuccessful?: true;
}

/** A pinned run used although it did not succeed (`allow_unsuccessful`), for the ledger. */
export interface UnsuccessfulPin {
  readonly status: 'failed' | 'incomplete';
  readonly detail: string;
}

interface PinnedRunState {
  readonly status: 'success' | 'failed' | 'incomplete' | 'running';
  /** Why (the error, where it stopped, who holds it), '' for success. */
  readonly detail: string;
}

/**
 * Check the pinned run `run` of `sleeve`. Throws `E_PIN_PROFILE` (a run of another profile, or of none)
 * or `E_PIN_STATUS` (not successful, without `allow_unsuccessful`; still running, whatever the pin says).
 * The errors carry no location: the caller names the pin (JSON path). Returns what was accepted when
 * `allow_unsuccessful` let an unsuccessful run through, else undefined.
 */
export async function checkPinnedRun(
  sleeve: PinnedSleeve,
  run: SleeveRunRef,
): Promise<UnsuccessfulPin | undefined> {
  const what = run.layout === 'native' ? `pinned run ${run.runId}` : `pinned predecessor run ${run.runId}`;
  const stated = run.layout === 'native' ? 'run.json' : PREDECESSOR_MANIFEST;
  const details = { run_id: run.runId, run_profile: run.profile, profile: sleeve.profile };
  if (run.profile !== sleeve.profile) {
    const is =
      run.profile === null
        ? `states no profile (its ${stated} has none)`
        : `is a run of profile ${run.profile}`;
    throw new QuantError('E_PIN_PROFILE', `${what} ${is}, not of ${sleeve.profile}`, {
      hint: `pin a run of ${sleeve.profile} (\`quant runs list\`), or remove run_id to use its latest successful run`,
      details,
    });
  }
  const state = await pinnedRunState(run);
  if (state.status === 'success') return undefined;
  const described = `${what} of ${sleeve.profile} ${state.status === 'running' ? 'is still running' : `has status ${state.status}`} (${state.detail})`;
  if (state.status === 'running') {
    throw new QuantError('E_PIN_STATUS', `${described}: its artifacts may still change`, {
      hint: 'wait for that run to finish, then run again',
      details: { ...details, status: state.status },
    });
  }
  if (sleeve.allowUnsuccessful === true) return { status: state.status, detail: state.detail };
  throw new QuantError('E_PIN_STATUS', `${described}, not success`, {
    hint: `pin a successful run of ${sleeve.profile}, or add "allow_unsuccessful": true to this pin in the manifest to use it anyway (recorded in the ledger)`,
    details: { ...details, status: state.status },
  });
}

async function pinnedRunState(run: SleeveRunRef): Promise<PinnedRunState> {
  if (run.layout !== 'native') {
    if (!existsSync(join(run.path, PHYSICAL_WEIGHTS_FILE)))
      return { status: 'incomplete', detail: `no ${PHYSICAL_WEIGHTS_FILE}` };
    if ((await listReturnStreams(run.path)).size === 0)
      return { status: 'incomplete', detail: 'no return stream in data/returns/' };
    return { status: 'success', detail: '' };
  }
  const json = await readRunJsonFile(join(run.path, 'run.json'), run.runId);
  if (json === undefined) return { status: 'incomplete', detail: 'its run.json is gone' };
  switch (json.status) {
    case 'success':
      return { status: 'success', detail: '' };
    case 'failed':
      return { status: 'failed', detail: failureOf(json) };
    case 'incomplete':
      return { status: 'incomplete', detail: describeInterruption(json) };
    case 'running': {
      // `running` with no live holder of the lock: the process died (as `quant runs list` settles it).
      const lock = await inspectRunLock(run.path);
      if (lock?.live !== true) return { status: 'incomplete', detail: 'its process is gone' };
      const who = lock.info === undefined ? 'a lock' : `pid ${lock.info.pid} on host ${lock.info.hostname}`;
      return { status: 'running', detail: `held by ${who}` };
    }
  }
}

/** What run.json says about a failure: the error when recorded, and the stage or pipeline that failed. */
function failureOf(json: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  const error = json['error'];
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string')
    parts.push((error as { code: string }).code);
  for (const key of ['stage', 'pipeline']) {
    const name = json[key];
    if (typeof name === 'string') parts.push(`${key} ${name}`);
  }
  return parts.length === 0 ? 'no cause recorded' : `failed: ${parts.join(', ')}`;
}
