// Time to interactive of each main console page, in headless Chromium,
// against a running `gumshoe serve` (normally on the 45-day demo), with
// the waterfall of each page's /api/v1 requests: when the browser started
// each one, how long it took, and what the server says it spent
// (X-Request-Id matched against `gumshoe serve -v`'s log when --log is
// given).
//
//   node e2e/timing.mjs --base http://127.0.0.1:8080 [--runs 5] [--log serve.log] [--waterfall]
//
// A page is interactive when its own content is there, nothing says
// "loading…", and none of the API requests it made is still open. Each
// page is loaded by a full navigation (the console's assets cached, as for
// any returning user), after one untimed visit of every page. The table is
// Markdown: docs/console.md quotes it.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf('--' + name);
  return i < 0 ? def : args[i + 1];
};
const base = arg('base', 'http://127.0.0.1:8080');
const runs = +arg('runs', '5');
const logFile = arg('log', '');
const waterfall = args.includes('--waterfall');
const chrome = process.env.CHROMIUM ?? '/usr/bin/chromium';

async function api(path, init) {
  const r = await fetch(base + '/api/v1' + path, init);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

// The pages of a demo scenario, from finding to raw records.
const mining = (await api('/findings?type=BitcoinTool.B&limit=1')).findings[0];
if (!mining) throw new Error('no CryptoCurrency:EC2/BitcoinTool.B finding: is this the demo?');
const inst = 'instance:' + mining.instance_id;
const groups = (await api('/finding-groups?active=true')).groups;
let invs = (await api('/investigations')).investigations;
if (!invs.length) {
  // Investigate the exfiltrated role over its group's window, as the group page offers.
  const g = groups.find((g) => g.entities.Identity?.length) ?? groups[0];
  const ent = g.entities.Identity?.[0] ?? Object.values(g.entities).flat()[0];
  await api('/investigations', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ entity: ent, start: g.firstSeen, end: g.lastSeen }) });
  invs = (await api('/investigations')).investigations;
}
const enc = encodeURIComponent;
const pages = [
  { name: 'Summary', path: '/', ready: ['[data-testid=severity-chart]', '[data-testid=top-instances] tbody tr', '[data-testid=top-principals] tbody tr', '[data-testid=ingest-status]', '[data-testid=summary-groups] tbody tr'] },
  { name: 'Findings', path: '/findings', ready: ['[data-testid=findings-table] tbody tr'] },
  { name: 'Finding (crypto mining)', path: '/findings/' + enc(mining.id), ready: ['[data-testid=involved]', '[data-testid=flows-table] tbody tr'] },
  { name: 'Instance profile (finding scope)', path: `/entities/${enc(inst)}?finding=${enc(mining.id)}`, ready: ['[data-testid=volume-chart]', '[data-testid=related]'] },
  { name: 'Instance profile (default scope)', path: `/entities/${enc(inst)}`, ready: ['[data-testid=volume-chart]', '[data-testid=related]'] },
  { name: 'Flow details', path: `/entities/${enc(inst)}/flows?finding=${enc(mining.id)}`, ready: ['[data-testid=flows-table] tbody tr', '[data-testid=chart-in]'] },
  { name: 'Investigated entity (access key) profile', path: `/entities/${enc(invs[0].Entity)}?start=${invs[0].ScopeStartTime.slice(0, 16)}&end=${invs[0].ScopeEndTime.slice(0, 16)}`, ready: ['[data-testid=related]', '[data-testid=observed]'] },
  { name: 'Finding groups', path: '/groups', ready: ['[data-testid=groups-table] tbody tr'] },
  { name: 'Finding group', path: '/groups/' + enc(groups[0].id), ready: ['[data-testid=group-graph]', '[data-testid=group-entities] tbody tr'] },
  { name: 'Investigations', path: '/investigations', ready: ['[data-testid=investigations-table] tbody tr'] },
  { name: 'Investigation', path: '/investigations/' + enc(invs[0].InvestigationId), ready: ['[data-testid=indicators]'] },
  { name: 'Search', path: '/search?q=' + enc(mining.remote_ip ?? '198.51.100.24'), ready: ['main table'] },
];

function serverTimes() {
  if (!logFile) return new Map();
  const m = new Map();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    const id = /request_id=(\S+)/.exec(line)?.[1];
    const ms = /duration_ms=(\d+)/.exec(line)?.[1];
    if (id && ms) m.set(id, +ms);
  }
  return m;
}

const browser = await chromium.launch({ executablePath: chrome, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
page.on('pageerror', (e) => console.error('page error:', e.message));

let open = 0;
let reqs = [];
let t0 = 0;
page.on('request', (r) => {
  if (!r.url().includes('/api/v1/')) return;
  open++;
  reqs.push({ r, url: r.url().replace(base + '/api/v1', ''), start: Date.now() - t0 });
});
const done = async (r) => {
  if (!r.url().includes('/api/v1/')) return;
  open--;
  const e = reqs.find((x) => x.r === r);
  if (e) {
    e.end = Date.now() - t0;
    e.id = (await r.response().catch(() => null))?.headers()['x-request-id'];
  }
};
page.on('requestfinished', done);
page.on('requestfailed', done);

async function visit(p) {
  reqs = [];
  t0 = Date.now();
  await page.goto(base + p.path);
  for (const sel of p.ready) await page.locator(sel).first().waitFor({ timeout: 30000 });
  // Interactive: nothing loading and no API request open, twice in a row
  // a frame apart (a request may start as another's answer renders).
  for (let quiet = 0; quiet < 2; ) {
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
    const loading = await page.locator('.loading').count();
    quiet = loading === 0 && open === 0 ? quiet + 1 : 0;
  }
  return { ms: Date.now() - t0, reqs: reqs.map(({ r, ...x }) => x) };
}

for (const p of pages) await visit(p); // untimed: warms the server's caches and the browser's
const rows = [];
for (const p of pages) {
  const times = [];
  let last;
  for (let i = 0; i < runs; i++) {
    last = await visit(p);
    times.push(last.ms);
  }
  times.sort((a, b) => a - b);
  rows.push({ p, median: times[Math.floor(times.length / 2)], max: times[times.length - 1], last });
}
await browser.close();

const st = serverTimes();
const load = os.loadavg().map((x) => x.toFixed(2)).join(', ');
console.log(`| page | API requests | median | slowest of ${runs} |`);
console.log('|---|---|---|---|');
for (const { p, median, max, last } of rows) console.log(`| ${p.name} | ${last.reqs.length} | ${median} ms | ${max} ms |`);
console.log(`\nload average ${load} on ${os.cpus().length} cores`);
if (waterfall) {
  for (const { p, last } of rows) {
    console.log(`\n${p.name} (${p.path}): ${last.ms} ms`);
    for (const q of last.reqs) {
      const srv = q.id && st.has(q.id) ? `server ${st.get(q.id)} ms` : '';
      console.log(`  ${String(q.start).padStart(5)} → ${String(q.end ?? '?').padStart(5)} ms  ${srv.padEnd(16)} ${q.url.slice(0, 140)}`);
    }
  }
}
