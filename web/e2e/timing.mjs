import { chromium } from 'playwright-core';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const p = await b.newPage({ viewport: { width: 1280, height: 900 } });
for (const url of ['/', '/', '/findings', '/groups']) {
  const t = Date.now();
  await p.goto('http://127.0.0.1:18080' + url);
  await p.waitForLoadState('networkidle');
  console.log(url, Date.now() - t, 'ms');
  const r = await p.evaluate(() => performance.getEntriesByType('resource').map((e) => [e.name.replace(location.origin, '').slice(0, 40), Math.round(e.startTime), Math.round(e.duration), e.transferSize]));
  console.log(r.map((x) => x.join(' ')).join('\n'));
}
await b.close();
