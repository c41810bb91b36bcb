// One run: what it is, each risk profile (tabs), its HTML report embedded, the ledger as a timeline with
// the `audit verify` verdict, and every file of the run folder to download.
import { useEffect, useRef } from 'preact/hooks';
import { apiJson, withToken } from '../api.js';
import {
  apiPath,
  type AuditVerdict,
  type LedgerEntry,
  type RunFailure,
  type RunResponse,
} from '../../../src/serve/api-types.js';
import { Await, useLoad } from '../components/load.js';
import { bytes, duration, legible, when } from '../format.js';
import { compareHref, navigate, runHref } from '../route.js';
import { launchLog } from '../launch-log.js';
import { RiskProfileSection } from './run-profile.js';

function Facts(props: { view: RunResponse }) {
  const r = props.view.run;
  return (
    <dl class="facts run-facts">
      <dt>Kind</dt>
      <dd>{r.kind}</dd>
      <dt>Profile</dt>
      <dd>{legible(r.profile)}</dd>
      <dt>Status</dt>
      <dd class={`status-${r.status}`} data-status={r.status}>
        {r.status}
        {r.latest ? <span class="badge">latest</span> : null}
        {r.reason === null || r.failure !== null ? null : <div class="reason">{legible(r.reason)}</div>}
      </dd>
      <dt>Created</dt>
      <dd>{when(r.created)}</dd>
      <dt>Duration</dt>
      <dd>{duration(r.duration_ms)}</dd>
      <dt>Tool version</dt>
      <dd>{r.tool_version}</dd>
    </dl>
  );
}

/**
 * The risk profiles as tabs; the open one is in the address (`?profile=`), so that a reload or a shared
 * link opens the same tab. A profile the run does not have opens the first, and says so.
 */
function RiskProfiles(props: { view: RunResponse; profile: string | null }) {
  const profiles = props.view.risk_profiles;
  const id = props.view.run.run_id;
  const asked = profiles.find((p) => p.risk_profile === props.profile);
  const view = asked ?? profiles[0];
  if (view === undefined) return null;
  return (
    <>
      {props.profile === null || asked !== undefined ? null : (
        <p class="muted" role="status" data-unknown-profile>
          This run has no risk profile “{legible(props.profile)}”: showing {legible(view.risk_profile)}.
        </p>
      )}
      <div class="tabs" role="toolbar" aria-label="risk profiles">
        {profiles.map((p) => (
          <button
            key={p.risk_profile}
            type="button"
            aria-pressed={p.risk_profile === view.risk_profile}
            onClick={() => navigate(runHref(id, p.risk_profile))}
          >
            {p.risk_profile}
          </button>
        ))}
      </div>
      <RiskProfileSection key={view.risk_profile} view={view} />
    </>
  );
}

function Audit(props: { audit: AuditVerdict }) {
  const a = props.audit;
  return (
    <div class={`audit ${a.ok ? 'status-success' : 'status-failed'}`} data-audit={a.ok ? 'ok' : 'failed'}>
      <strong>audit verify: {a.ok ? 'ok' : 'FAILED'}</strong> — {a.records} records; anchor {a.anchor};
      signature {a.signature}
      {a.problems.map((p) => (
        <div key={p.code + p.message} class="error">
          <code>{p.code}</code> {legible(p.message)}
        </div>
      ))}
    </div>
  );
}

function Timeline(props: { ledger: readonly LedgerEntry[] }) {
  return (
    <ol class="timeline">
      {props.ledger.map((e) => (
        <li key={e.seq} class={e.status}>
          <span class="muted mono">
            #{e.seq} {when(e.ts)}
          </span>{' '}
          <strong>{e.step}</strong> {e.type} <em>{e.status}</em>
          {e.duration_ms === null ? null : <span class="muted"> ({duration(e.duration_ms)})</span>}
          {e.summary === null ? null : <div>{legible(e.summary)}</div>}
        </li>
      ))}
    </ol>
  );
}

function Artifacts(props: { view: RunResponse }) {
  const id = props.view.run.run_id;
  return (
    <div class="scroll">
      <table class="artifacts">
        <thead>
          <tr>
            <th>File</th>
            <th class="num">Size</th>
            <th class="hide-narrow">Type</th>
          </tr>
        </thead>
        <tbody>
          {props.view.artifacts.map((a) => (
            <tr key={a.path}>
              <td>
                <a
                  class="mono"
                  href={withToken(apiPath('artifact', { id, rest: a.path }))}
                  download={a.path.split('/').pop() ?? a.path}
                >
                  {legible(a.path)}
                </a>
              </td>
              <td class="num">{bytes(a.bytes)}</td>
              <td class="hide-narrow">{a.mime_type}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function LaunchLog(props: { runId: string }) {
  const log = launchLog(props.runId);
  if (log === undefined) return null;
  return (
    <details class="launch-log" open>
      <summary>Launched from this page: {log.length} events</summary>
      <ol class="events">
        {log.map((e, k) => (
          <li key={k} data-event={e.type}>
            {e.text}
          </li>
        ))}
      </ol>
    </details>
  );
}

/** A failed run: the stage, the code and the message of its ledger's failed outcome. */
function Failure(props: { failure: RunFailure }) {
  const f = props.failure;
  return (
    <div class="error failure" role="alert" data-failure={f.code ?? ''}>
      <strong>This run failed</strong>
      {f.stage === null ? (
        ''
      ) : (
        <>
          {' '}
          at stage <code>{f.stage}</code>
        </>
      )}
      {f.code === null ? (
        ': '
      ) : (
        <>
          : <code>{f.code}</code>{' '}
        </>
      )}
      {legible(f.message)}
      <div class="muted">
        It has no figures to show; its ledger and files are below. Fix the cause and run again under another
        run id.
      </div>
    </div>
  );
}

function RunBody(props: { view: RunResponse; profile: string | null }) {
  const { view } = props;
  const id = view.run.run_id;
  // Opening a run moves the focus to its heading, so that keyboard and screen-reader users start there.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div data-run-page={id}>
      <h1 tabIndex={-1} ref={heading}>
        Run <span class="mono">{id}</span>
      </h1>
      <Facts view={view} />
      <LaunchLog runId={id} />
      {view.run.kind === 'meta' && view.run.profile !== null && view.run.status === 'success' ? (
        <p>
          <a href={compareHref([id])}>Compare with another run…</a>
        </p>
      ) : null}
      {view.run.failure === null ? null : <Failure failure={view.run.failure} />}
      {view.report_error === null || view.run.status !== 'success' ? null : (
        <p class="error">
          <code>{view.report_error.code}</code> {view.report_error.message}
        </p>
      )}
      <RiskProfiles view={view} profile={props.profile} />
      {view.has_html_report ? (
        <>
          <h2>HTML report</h2>
          <iframe
            class="report"
            title={`HTML report of ${id}`}
            src={withToken(apiPath('report', { id }))}
            sandbox=""
            loading="lazy"
          />
        </>
      ) : null}
      <h2>Ledger</h2>
      <Audit audit={view.audit} />
      <Timeline ledger={view.ledger} />
      <h2>Artifacts</h2>
      <Artifacts view={view} />
    </div>
  );
}

export function RunPage(props: { runId: string; profile: string | null }) {
  const loaded = useLoad(props.runId, () => apiJson<RunResponse>(apiPath('run', { id: props.runId })));
  return <Await loaded={loaded}>{(view) => <RunBody view={view} profile={props.profile} />}</Await>;
}
