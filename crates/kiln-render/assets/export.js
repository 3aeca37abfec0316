// Exports of what is on screen: PNG of the flame graph canvas, folded
// stacks ("a;b;c 42", or "a;b;c 40 42" for a diff), and flamebearer JSON.

import { pathTo } from './graph.js';

/**
 * Folded stacks of a graph: one line per stack with a self value.
 * @param {import('./graph.js').Graph} g
 * @returns {string}
 */
export function toFolded(g) {
  const lines = [];
  for (let i = 1; i < g.n; i++) {
    if (g.self[i] <= 0) continue;
    const stack = pathTo(g, i).slice(1).map((j) => g.names[g.name[j]]).join(';');
    lines.push(g.diff ? `${stack} ${g.ls[i]} ${g.rs[i]}` : `${stack} ${g.ls[i]}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The report's data as a Pyroscope flamebearer profile.
 * @param {any} data the embedded report data
 * @returns {string}
 */
export function toFlamebearer(data) {
  const m = data.meta || {};
  const profile = {
    version: 1,
    flamebearer: { names: data.names, levels: data.levels, numTicks: data.total, maxSelf: data.maxSelf },
    metadata: { format: data.format, spyName: 'kiln', sampleRate: m.sampleRate || 0, units: m.unit || '', name: m.profileType || '' },
  };
  if (data.format === 'double') Object.assign(profile, { leftTicks: data.leftTicks, rightTicks: data.rightTicks });
  return JSON.stringify(profile);
}

/**
 * Offers a blob for download under `filename` (no network: a blob: URL).
 * @param {Blob} blob
 * @param {string} filename
 */
export function download(blob, filename) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/**
 * Downloads a canvas as PNG.
 * @param {HTMLCanvasElement} canvas
 * @param {string} filename
 */
export function downloadPng(canvas, filename) {
  canvas.toBlob((blob) => blob && download(blob, filename), 'image/png');
}

/**
 * A file-name-safe stem from a title.
 * @param {string} title
 * @returns {string}
 */
export function fileStem(title) {
  return (title || 'flamegraph').replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'flamegraph';
}
