/**
 * Vigil's web UI: jobs, the job wizard, the Single Metric Viewer and the Anomaly Explorer, with
 * every view and its state in the URL hash. Preact + uPlot; talks to the server's HTTP API only.
 */
import { render } from 'preact';
import './styles.css';
import { href, useRoute, viewOf } from './lib/router.js';
import { Explorer } from './views/explorer.js';
import { JobsList } from './views/jobs-list.js';
import { Perf } from './views/perf.js';
import { Training } from './views/training.js';
import { Viewer } from './views/viewer.js';
import { Wizard } from './views/wizard.js';
import { Empty } from './components/status.js';

const NAV: { key: string; label: string; to: string }[] = [
  { key: 'jobs', label: 'Jobs', to: href(['jobs']) },
  { key: 'explorer', label: 'Anomaly Explorer', to: href(['explorer']) },
  { key: 'viewer', label: 'Single Metric Viewer', to: href(['viewer']) },
  { key: 'training', label: 'Training', to: href(['training']) },
];

function App() {
  const route = useRoute();
  const { section, arg } = viewOf(route.parts);
  let view;
  if (section === 'jobs' && arg === 'new') view = <Wizard params={route.params} />;
  else if (section === 'jobs') view = <JobsList />;
  else if (section === 'viewer') view = <Viewer jobId={arg} params={route.params} />;
  else if (section === 'explorer') view = <Explorer params={route.params} />;
  else if (section === 'training') view = <Training parts={route.parts.slice(1)} params={route.params} />;
  else if (section === 'perf') view = <Perf params={route.params} />;
  else
    view = (
      <Empty title="Page not found">
        Nothing lives at <code>{location.hash}</code>. <a href={href(['jobs'])}>Go to the jobs list</a>.
      </Empty>
    );
  const active = section === 'jobs' && arg === 'new' ? 'jobs' : section;
  return (
    <div class="app">
      <header class="topbar">
        <a class="brand" href={href(['jobs'])}>
          <span class="logo" aria-hidden="true" />
          Vigil
        </a>
        <nav>
          {NAV.map((n) => (
            <a key={n.key} href={n.to} class={active === n.key ? 'active' : ''}>
              {n.label}
            </a>
          ))}
        </nav>
        <a class="api-link" href="/_vigil/openapi.json" target="_blank" rel="noreferrer">
          API
        </a>
      </header>
      <main class="content">{view}</main>
    </div>
  );
}

const root = document.getElementById('app')!;
root.textContent = '';
render(<App />, root);
