// The kiln-render benchmark: file size against inferno's SVG for the same
// folded input, and first paint in headless Chromium.
//
//   KILN_BIN=.../kiln node bench.mjs [NODES] [RUNS]
//
// First paint is `window.kiln.marks.firstPaint`: performance.now() (so
// milliseconds since navigation start) when the first canvas draw of the
// flame graph completes. Prints a markdown table.
import { execFileSync } from 'node:child_process';
import { writeFileSync, statSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openReport, networkRequests, workDir, kilnBin } from '../helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const nodes = Number(process.argv[2] || 100000);
const runs = Number(process.argv[3] || 9);
const inferno = process.env.INFERNO_FLAMEGRAPH || 'inferno-flamegraph';

const folded = join(workDir, 'bench.folded');
writeFileSync(folded, execFileSync('node', [join(here, 'gen-folded.mjs'), String(nodes)], { maxBuffer: 1 << 30 }));

const kilnHtml = (name, extra) => {
  const out = join(workDir, name);
  execFileSync(kilnBin(), ['convert', folded, '--to', 'html', '-o', out, ...extra]);
  return out;
};
const infernoSvg = (name, extra) => {
  const out = join(workDir, name);
  writeFileSync(out, execFileSync(inferno, [...extra, folded], { maxBuffer: 1 << 30 }));
  return out;
};
const count = (file, re) => (readFileSync(file, 'utf8').match(re) || []).length;
const kilnNodes = (file) => {
  const html = readFileSync(file, 'utf8');
  const start = html.indexOf('id="kiln-data">') + 'id="kiln-data">'.length;
  const data = JSON.parse(html.slice(start, html.indexOf('</script>', start)));
  return data.levels.reduce((n, l) => n + l.length / 4, 0);
};
const size = (f) => statSync(f).size;
const mb = (b) => `${(b / 1e6).toFixed(2)} MB`;

const all = { kiln: kilnHtml('all.html', ['--max-nodes', '0']), svg: infernoSvg('all.svg', ['--minwidth', '0']) };
const dflt = { kiln: kilnHtml('default.html', []), svg: infernoSvg('default.svg', []) };

const browser = await launch();
const paints = [];
for (let i = 0; i < runs; i++) {
  const { page, context, seen, url } = await openReport(browser, all.kiln);
  if (networkRequests(seen, url).length) throw new Error('the report made a network request');
  paints.push(await page.evaluate(() => window.kiln.marks.firstPaint));
  await context.close();
}
await browser.close();
paints.sort((a, b) => a - b);
const median = paints[Math.floor(paints.length / 2)];

console.log(`| Input | ${nodes} call-tree nodes (gen-folded.mjs), ${mb(size(folded))} folded |`);
console.log('| --- | --- |');
console.log(`| kiln HTML, every node (\`--max-nodes 0\`) | ${mb(size(all.kiln))}, ${kilnNodes(all.kiln)} nodes |`);
console.log(`| inferno SVG, every frame (\`--minwidth 0\`) | ${mb(size(all.svg))}, ${count(all.svg, /<g>/g)} frames |`);
console.log(`| size ratio kiln / inferno (every node) | ${(size(all.kiln) / size(all.svg)).toFixed(3)} |`);
console.log(`| kiln HTML, default (\`--max-nodes 8192\`) | ${mb(size(dflt.kiln))}, ${kilnNodes(dflt.kiln)} nodes |`);
console.log(`| inferno SVG, default (\`--minwidth 0.01\` %) | ${mb(size(dflt.svg))}, ${count(dflt.svg, /<g>/g)} frames |`);
console.log(`| size ratio kiln / inferno (defaults) | ${(size(dflt.kiln) / size(dflt.svg)).toFixed(3)} |`);
console.log(`| first paint, every node, median of ${runs} | ${median.toFixed(0)} ms (min ${paints[0].toFixed(0)}, max ${paints[paints.length - 1].toFixed(0)}) |`);
