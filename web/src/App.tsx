import { useEffect, useState } from 'preact/hooks';
import { navigate, useLocation } from './router';
import { getToken, setToken } from './api';
import { SummaryPage } from './pages/Summary';
import { FindingsPage } from './pages/Findings';
import { FindingPage } from './pages/Finding';
import { EntityPage } from './pages/Entity';
import { FlowsPage } from './pages/Flows';
import { SearchPage } from './pages/Search';
import { SqlPage } from './pages/Sql';
import { GroupsPage, GroupPage } from './pages/Groups';
import { InvestigationsPage, InvestigationPage } from './pages/Investigations';

const NAV: [string, string][] = [
  ['/', 'Summary'],
  ['/findings', 'Findings'],
  ['/groups', 'Finding groups'],
  ['/investigations', 'Investigations'],
  ['/sql', 'Raw logs / SQL'],
];

function route(path: string) {
  let m: RegExpExecArray | null;
  if (path === '/' || path === '') return <SummaryPage />;
  if (path === '/findings') return <FindingsPage />;
  if ((m = /^\/findings\/([^/]+)$/.exec(path))) return <FindingPage id={decodeURIComponent(m[1])} />;
  if (path === '/groups') return <GroupsPage />;
  if ((m = /^\/groups\/([^/]+)$/.exec(path))) return <GroupPage id={decodeURIComponent(m[1])} />;
  if ((m = /^\/entities\/([^/]+)\/flows$/.exec(path))) return <FlowsPage id={decodeURIComponent(m[1])} />;
  if ((m = /^\/entities\/([^/]+)$/.exec(path))) return <EntityPage id={decodeURIComponent(m[1])} />;
  if (path === '/investigations') return <InvestigationsPage />;
  if ((m = /^\/investigations\/([^/]+)$/.exec(path))) return <InvestigationPage id={decodeURIComponent(m[1])} />;
  if (path === '/search') return <SearchPage />;
  if (path === '/sql') return <SqlPage />;
  return (
    <main class="page">
      <h1>Not found</h1>
      <p>
        No console page at <code>{path}</code>. <a href="/">Back to the summary</a>.
      </p>
    </main>
  );
}

function TokenPrompt({ onDone }: { onDone: () => void }) {
  const [v, setV] = useState(getToken());
  return (
    <form
      class="token"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(v.trim());
        onDone();
      }}
    >
      <label>
        This server needs its access token (GUMSHOE_TOKEN):{' '}
        <input type="password" value={v} onInput={(e) => setV((e.target as HTMLInputElement).value)} autoFocus />
      </label>
      <button type="submit">Use token</button>
    </form>
  );
}

export function App() {
  const loc = useLocation();
  const [q, setQ] = useState(loc.path === '/search' ? (loc.params.get('q') ?? '') : '');
  const [needToken, setNeedToken] = useState(false);
  const [gen, setGen] = useState(0);
  useEffect(() => {
    const f = () => setNeedToken(true);
    window.addEventListener('gumshoe-unauthorized', f);
    return () => window.removeEventListener('gumshoe-unauthorized', f);
  }, []);
  useEffect(() => {
    document.title = 'gumshoe';
  }, [loc.path]);
  const section = loc.path === '/' ? '/' : '/' + loc.path.split('/')[1];
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a href="/" class="brand" aria-label="gumshoe summary">
          gumshoe
        </a>
        <nav aria-label="Main">
          {NAV.map(([href, label]) => (
            <a href={href} class={section === href ? 'active' : undefined} aria-current={section === href ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <form
          class="search"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            if (q.trim()) navigate('/search?q=' + encodeURIComponent(q.trim()));
          }}
        >
          <input
            type="search"
            value={q}
            onInput={(e) => setQ((e.target as HTMLInputElement).value)}
            placeholder="IP, CIDR, instance, ARN, access key, user agent, domain, finding ID…"
            aria-label="Search any identifier"
            name="q"
          />
          <button type="submit">Search</button>
        </form>
      </header>
      {needToken ? (
        <TokenPrompt
          onDone={() => {
            setNeedToken(false);
            setGen(gen + 1);
          }}
        />
      ) : null}
      <div id="main" key={gen}>
        {route(loc.path)}
      </div>
    </>
  );
}
