// After the Vite build: gzips each asset once (the server sends the .gz
// to clients that accept it, so it compresses nothing at run time), and
// writes the SHA-256 of the console's sources next to the build, so that
// a Go test (internal/webui) can tell, without Node, whether the committed
// build is current. The Go side computes the same digest: keep them alike.
import { createHash } from 'node:crypto';
import { gzipSync, constants } from 'node:zlib';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const inputs = ['index.html', 'package-lock.json', 'vite.config.ts', 'tsconfig.json', 'src'];

function walk(p, out) {
  if (statSync(p).isDirectory()) {
    for (const e of readdirSync(p)) walk(join(p, e), out);
  } else if (!/\.test\.tsx?$/.test(p)) {
    out.push(p);
  }
}

const assets = join(root, '../internal/webui/dist/assets');
for (const a of readdirSync(assets)) {
  if (!/\.(js|css|svg)$/.test(a)) continue;
  const b = readFileSync(join(assets, a));
  writeFileSync(join(assets, a + '.gz'), gzipSync(b, { level: constants.Z_BEST_COMPRESSION }));
}

const files = [];
for (const i of inputs) walk(join(root, i), files);
const names = files.map((f) => relative(root, f).split('\\').join('/')).sort();
const h = createHash('sha256');
for (const n of names) {
  h.update(n + '\n');
  h.update(readFileSync(join(root, n)));
  h.update('\n');
}
writeFileSync(join(root, '../internal/webui/dist/source.sha256'), h.digest('hex') + '\n');
