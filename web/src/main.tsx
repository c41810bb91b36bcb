// The web app of `quant serve`: runs, one run, a comparison, a launch; hash-routed, no other host.
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { apiJson } from './api.js';
import { apiPath, type InfoResponse } from '../../src/serve/api-types.js';
import { useLoad } from './components/load.js';
import { ComparePage } from './pages/compare.js';
import { LaunchPage } from './pages/launch.js';
import { RunPage } from './pages/run.js';
import { RunsPage } from './pages/runs.js';
import { legible } from './format.js';
import { useRoute, type Route } from './route.js';
import './app.css';

function Page(props: { route: Route }) {
  const r = props.route;
  switch (r.page) {
    case 'runs':
      return <RunsPage />;
    case 'run':
      return <RunPage key={r.runId} runId={r.runId} profile={r.profile} />;
    case 'compare':
      return <ComparePage key={r.runIds.join(',')} runIds={r.runIds} />;
    case 'launch':
      return <LaunchPage />;
    case 'not-found':
      return <NotFoundPage hash={r.hash} problem={r.problem} />;
  }
}

function NotFoundPage(props: { hash: string; problem: string }) {
  return (
    <div data-page="not-found">
      <h1>Page not found</h1>
      <p class="error" role="alert">
        This link is malformed or names no page: {legible(props.problem)}.
      </p>
      <p>
        Link: <code>{legible(props.hash)}</code>
      </p>
      <p>
        <a href="#/runs">Go to the runs</a>
      </p>
    </div>
  );
}

function title(r: Route): string {
  switch (r.page) {
    case 'runs':
      return 'Runs';
    case 'run':
      return `Run ${r.runId}`;
    case 'compare':
      return 'Compare runs';
    case 'launch':
      return 'Launch';
    case 'not-found':
      return 'Page not found';
  }
}

function App() {
  const route = useRoute();
  const info = useLoad('info', () => apiJson<InfoResponse>(apiPath('info')));
  useEffect(() => {
    document.title = `${title(route)} · quant serve`;
  }, [route]);
  const link = (href: string, label: string, active: boolean) => (
    <a href={href} aria-current={active ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <header class="top">
        <strong>quant serve</strong>
        <nav aria-label="pages">
          {link('#/runs', 'Runs', route.page === 'runs' || route.page === 'run')}
          {link('#/compare', 'Compare', route.page === 'compare')}
          {link('#/launch', 'Launch', route.page === 'launch')}
        </nav>
        {info.state === 'ok' ? (
          <span class="workspace">
            workspace <code>{info.value.workspace}</code> · metafolio {info.value.version}
            {info.value.read_only ? ' · read-only' : ''}
          </span>
        ) : null}
      </header>
      <main>
        <Page route={route} />
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
