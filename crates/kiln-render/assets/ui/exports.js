// The UI's exports beside the report's own (PNG, folded, flamebearer
// JSON): pprof of the graph as shown (written here, gzipped by the
// browser), the standalone HTML report of the same data (rendered by the
// server's report route, so it is the very file `kiln convert` writes),
// and a copy of the page's link, which restores the view.

import { download, fileStem } from '../export.js';
import { toPprof } from './pprof.js';
import { post } from './auth.js';

/**
 * The extra export buttons of a mounted graph.
 * @param {boolean} diff pprof has no diff form, so a diff offers none
 * @returns {Array<[string, (data: any, graph: import('../graph.js').Graph) => void]>}
 */
export function uiExports(diff) {
  /** @type {Array<[string, (data: any, graph: import('../graph.js').Graph) => void]>} */
  const out = [];
  if (!diff) out.push(['pprof', (data, g) => failSoftly(savePprof(data, g))]);
  out.push(['HTML', (data) => failSoftly(saveReport(data))], ['Copy link', () => failSoftly(copyText(location.href))]);
  return out;
}

/** @param {any} data */
function stemOf(data) {
  return fileStem(data.meta.title || data.meta.subject);
}

/**
 * @param {any} data
 * @param {import('../graph.js').Graph} g
 */
async function savePprof(data, g) {
  const raw = toPprof(g, data.meta);
  const gz = new Blob([raw]).stream().pipeThrough(new CompressionStream('gzip'));
  const blob = await new Response(gz).blob();
  download(new Blob([blob], { type: 'application/octet-stream' }), `${stemOf(data)}.pb.gz`);
}

/**
 * Asks the server for the standalone report of `data` and downloads it.
 * @param {any} data
 */
async function saveReport(data) {
  const resp = await post('/ui/api/report', data);
  if (!resp.ok) {
    const body = await resp.json().catch(() => ({}));
    throw new Error(`HTML export: ${body.message || `HTTP ${resp.status}`}`);
  }
  download(new Blob([await resp.text()], { type: 'text/html' }), `${stemOf(data)}.html`);
}

/**
 * Copies text to the clipboard, through a selected text area where the
 * Clipboard API is missing (plain HTTP on another host).
 * @param {string} text
 */
export async function copyText(text) {
  document.body.dataset.copied = text;
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text).catch(() => selectAndCopy(text));
  selectAndCopy(text);
}

/** @param {string} text */
function selectAndCopy(text) {
  const ta = /** @type {HTMLTextAreaElement} */ (document.createElement('textarea'));
  ta.value = text;
  document.body.append(ta);
  ta.select();
  document.execCommand('copy');
  ta.remove();
}

/**
 * Shows a failed export on the shell's error line.
 * @param {Promise<void>} work
 */
function failSoftly(work) {
  work.catch((e) => {
    const line = /** @type {HTMLElement | null} */ (document.querySelector('.k-error[role="alert"]'));
    if (!line) return;
    line.textContent = e instanceof Error ? e.message : String(e);
    line.hidden = false;
  });
}
