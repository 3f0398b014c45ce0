// The dashboard's files, after tsc has compiled src/web to dist/web/app (src/web/tsconfig.json):
// its page and style sheet, and the ES modules of preact, htm and uPlot copied from node_modules
// (no network, no CDN, no bundler). The browser cannot resolve a bare import such as 'preact', so
// each bare import — in the compiled app and in preact's hooks — is rewritten to the copied file.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'web');
/** The installed package (htm's exports do not list its package.json, so it is not resolved through them). */
const pkgDir = (name) => join(ROOT, 'node_modules', name);

/** Bare specifier → the file it is served as, relative to dist/web. */
const VENDOR = {
  preact: { from: ['preact', 'dist/preact.module.js'], to: 'vendor/preact.js' },
  'preact/hooks': { from: ['preact', 'hooks/dist/hooks.module.js'], to: 'vendor/preact-hooks.js' },
  htm: { from: ['htm', 'dist/htm.module.js'], to: 'vendor/htm.js' },
  uplot: { from: ['uplot', 'dist/uPlot.esm.js'], to: 'vendor/uplot.js' },
};

/** `from 'preact'` / `from"preact"` → `from "<prefix>vendor/preact.js"`; source map comments dropped (the maps are not served). */
const rewrite = (text, prefix) =>
  text
    .replace(/\bfrom\s*(["'])(preact|preact\/hooks|htm|uplot)\1/g, (_m, _q, name) => `from "${prefix}${VENDOR[name].to}"`)
    .replace(/^\/\/# sourceMappingURL=.*$/gm, '');

if (!existsSync(join(OUT, 'app'))) {
  console.error('build-web: dist/web/app is missing: compile src/web first (tsc -p src/web/tsconfig.json)');
  process.exit(1);
}
rmSync(join(OUT, 'vendor'), { recursive: true, force: true });
mkdirSync(join(OUT, 'vendor'), { recursive: true });
for (const { from, to } of Object.values(VENDOR)) {
  writeFileSync(join(OUT, to), rewrite(readFileSync(join(pkgDir(from[0]), from[1]), 'utf8'), '../'));
}
copyFileSync(join(pkgDir('uplot'), 'dist/uPlot.min.css'), join(OUT, 'vendor/uplot.css'));
for (const name of ['preact', 'htm', 'uplot']) copyFileSync(join(pkgDir(name), 'LICENSE'), join(OUT, `vendor/${name}-LICENSE.txt`));

// The compiled app: every module under dist/web/app, at any depth.
const walk = (dir, depth) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) walk(full, depth + 1);
    else if (e.name.endsWith('.js')) writeFileSync(full, rewrite(readFileSync(full, 'utf8'), '../'.repeat(depth + 1)));
  }
};
walk(join(OUT, 'app'), 0);

for (const f of ['index.html', 'app.css', 'favicon.svg']) copyFileSync(join(ROOT, 'src', 'web', f), join(OUT, f));
