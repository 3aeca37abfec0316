// Uploading a profile file to the adhoc service. The name sent is the
// file's stem and the first 16 hex digits of its SHA-256, so an upload's
// id (the server adds a timestamp and the extension of the format it
// detected) carries its content: the same file dropped again is found in
// the list under that name and not stored twice, and its share link stays
// the same.

import { el } from '../ui.js';
import { adhoc } from './api.js';
import { sha256Hex } from './sha256.js';

/** The formats the server detects, for the drop zone's text. */
export const FORMATS = 'pprof, folded, speedscope, flamebearer JSON, perf script or JFR';

/**
 * The name an upload of `fileName` with content `bytes` goes by: as the
 * server sanitises it (`[A-Za-z0-9._-]`, no leading dot) so the list's
 * names compare equal.
 * @param {string} fileName
 * @param {Uint8Array} bytes
 */
export function uploadName(fileName, bytes) {
  const stem = fileName.replace(/\.(pb\.gz|pb|pprof|gz|json|txt|folded|jfr|perf)$/i, '').slice(0, 150) || 'profile';
  const safe = stem.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_');
  return `${safe}-${sha256Hex(bytes).slice(0, 16)}`;
}

/**
 * Bytes as base64, in chunks (a spread of a large array overflows the stack).
 * @param {Uint8Array} bytes
 */
function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * Uploads a file unless the same content is stored already; returns its id.
 * @param {File} file
 * @returns {Promise<{id: string, reused: boolean}>}
 */
export async function uploadFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (!bytes.length) throw new Error(`${file.name} is empty`);
  const name = uploadName(file.name, bytes);
  const listed = await adhoc('List', {});
  const same = (listed.profiles || []).find((/** @type {any} */ p) => p.name === name);
  if (same) return { id: same.id, reused: true };
  try {
    const r = await adhoc('Upload', { name, profile: base64(bytes) });
    return { id: r.id, reused: false };
  } catch (e) {
    throw new Error(`${file.name} was not stored: ${e instanceof Error ? e.message.replace(/^Upload: /, '') : e}`);
  }
}

/**
 * The drop zone with a file picker; `onFile` gets each dropped or picked file.
 * @param {(file: File) => void} onFile
 */
export function dropZone(onFile) {
  const zone = el('div', 'k-drop');
  const input = /** @type {HTMLInputElement} */ (el('input'));
  input.type = 'file';
  input.setAttribute('aria-label', 'Profile file to upload');
  input.addEventListener('change', () => {
    for (const f of input.files || []) onFile(f);
    input.value = '';
  });
  zone.append(el('span', '', `Drop a ${FORMATS} file here, or pick one: `), input);
  zone.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    zone.classList.add('k-drop-over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('k-drop-over'));
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    zone.classList.remove('k-drop-over');
    for (const f of ev.dataTransfer?.files || []) onFile(f);
  });
  return zone;
}
