// Adhoc runs and uploads: every profile of the server's adhoc directory
// (what `kiln adhoc` saved, and uploads), a drop zone to upload one, and
// the chosen one's flame graph with its share link, or two of them side by
// side or as a diff. State in the URL: `profile=ID`, or `left=ID&right=ID`
// and `mode=compare|diff`; `ptype` picks a profile type of the file.

import { el, button, labelledSelect } from '../../ui.js';
import { adhoc } from '../api.js';
import { update, hrefOf } from '../state.js';
import { formatTime } from '../time.js';
import { mountFlame, mountBeside } from '../flame.js';
import { copyText } from '../exports.js';
import { uploadFile, dropZone } from '../upload.js';

/** What the last upload did, shown once on the page it opened. */
let notice = '';

/**
 * @param {HTMLElement} host
 * @param {import('../shell.js').Context} ctx
 */
export async function render(host, ctx) {
  const p = ctx.route.params;
  const status = el('div', 'k-busy k-upload-status', notice);
  notice = '';
  status.setAttribute('role', 'status');
  const failure = el('div', 'k-error k-upload-error');
  failure.hidden = true;
  const zone = dropZone((file) => {
    failure.hidden = true;
    status.textContent = `Uploading ${file.name}\u2026`;
    uploadFile(file).then(({ id, reused }) => {
      notice = reused ? `${file.name} was uploaded before: this is the stored copy.` : `${file.name} uploaded.`;
      update({ profile: id, left: null, right: null, mode: null, ptype: null });
    }, (e) => {
      status.textContent = '';
      failure.textContent = e instanceof Error ? e.message : String(e);
      failure.hidden = false;
    });
  });
  const list = el('div', 'k-adhoc-list');
  const view = el('div', 'k-adhoc-view');
  host.append(el('h1', 'k-page-title', 'Adhoc runs and uploads'), zone, status, failure, list, view);
  const listed = await adhoc('List', {});
  list.append(listTable(listed.profiles || [], ctx));
  const [left, right, one] = [p.get('left'), p.get('right'), p.get('profile')];
  if (left && right) await drawPair(view, left, right, p.get('mode') === 'diff' ? 'diff' : 'compare', p.get('ptype'));
  else if (one) await drawOne(view, one, p.get('ptype'));
}

/**
 * The list: pick two to compare or diff, or open one.
 * @param {Array<{id: string, name: string, uploadedAt: string}>} profiles newest first
 * @param {import('../shell.js').Context} ctx
 */
function listTable(profiles, ctx) {
  const box = el('div');
  if (!profiles.length) {
    box.append(el('p', 'k-busy', 'No adhoc runs or uploads yet: run `kiln adhoc -- <command>` on this machine, or upload a file above.'));
    return box;
  }
  /** @type {string[]} */
  const picked = [];
  const compare = button('Compare the two picked', () => pair('compare'), 'k-button k-compare-picked');
  const diff = button('Diff the two picked', () => pair('diff'), 'k-button k-diff-picked');
  const pair = (/** @type {string} */ mode) => update({ left: picked[0], right: picked[1], mode, profile: null, ptype: null });
  const sync = () => (compare.disabled = diff.disabled = picked.length !== 2);
  sync();
  const table = el('table', 'k-services k-adhoc-table');
  const head = el('tr');
  for (const h of ['Pick', 'Name', 'Saved', 'Id']) head.append(el('th', '', h));
  const [thead, tbody] = [el('thead'), el('tbody')];
  thead.append(head);
  table.append(thead, tbody);
  for (const prof of profiles) {
    tbody.append(listRow(prof, ctx.tz, (on) => {
      const at = picked.indexOf(prof.id);
      if (on && at < 0) picked.push(prof.id);
      if (!on && at >= 0) picked.splice(at, 1);
      sync();
    }));
  }
  const actions = el('div', 'k-explore-bar');
  actions.append(compare, diff);
  box.append(actions, table);
  return box;
}

/**
 * One profile's row: a pick box, its name opening it, when it was saved, its id.
 * @param {{id: string, name: string, uploadedAt: string}} prof
 * @param {string} tz
 * @param {(on: boolean) => void} onPick
 */
function listRow(prof, tz, onPick) {
  const tr = el('tr');
  tr.dataset.id = prof.id;
  const check = /** @type {HTMLInputElement} */ (el('input'));
  check.type = 'checkbox';
  check.setAttribute('aria-label', `Pick ${prof.id}`);
  check.addEventListener('change', () => onPick(check.checked));
  const open = /** @type {HTMLAnchorElement} */ (el('a', 'k-adhoc-open', prof.name));
  open.href = hrefOf('adhoc', { profile: prof.id });
  open.addEventListener('click', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    update({ profile: prof.id, left: null, right: null, mode: null, ptype: null });
  });
  const cells = [el('td'), el('td'), el('td', '', formatTime(Number(prof.uploadedAt), tz)), el('td', 'k-mono', prof.id)];
  cells[0].append(check);
  cells[1].append(open);
  tr.append(...cells);
  return tr;
}

/**
 * The report payload of a flamebearer JSON answer.
 * @param {string} json
 */
function payloadOf(json) {
  const fb = JSON.parse(json);
  const f = fb.flamebearer || {};
  const m = fb.metadata || {};
  return {
    fg: {
      format: m.format === 'double' ? 'double' : 'single', names: f.names || [], levels: f.levels || [],
      total: Number(f.numTicks || 0), maxSelf: Number(f.maxSelf || 0),
      leftTicks: Number(fb.leftTicks || 0), rightTicks: Number(fb.rightTicks || 0),
    },
    unit: unitOf(m),
  };
}

/**
 * The unit the values are in. Pyroscope's flamebearer calls CPU time
 * `samples` at a sample rate of 1e9: those values are nanoseconds.
 * @param {{ units?: string, sampleRate?: number }} m
 */
function unitOf(m) {
  if (m.units === 'samples' && Number(m.sampleRate) === 1e9) return 'nanoseconds';
  return m.units || '';
}

/**
 * A profile type select when the file offers several.
 * @param {string[]} types
 * @param {string} current
 */
function typePicker(types, current) {
  const box = el('div', 'k-explore-bar');
  if (types.length > 1) box.append(labelledSelect('Profile type', types.map((t) => [t, t]), current, (v) => update({ ptype: v })).wrap);
  return box;
}

/**
 * One profile's flame graph and share link.
 * @param {HTMLElement} host
 * @param {string} id
 * @param {string | null} ptype
 */
async function drawOne(host, id, ptype) {
  const r = await adhoc('Get', { id, profileType: ptype || undefined });
  const { fg, unit } = payloadOf(r.flamebearerProfile);
  const link = `${location.origin}${hrefOf('adhoc', { profile: id, ptype })}`;
  const share = el('div', 'k-explore-bar k-share');
  const input = /** @type {HTMLInputElement} */ (el('input', 'k-share-link'));
  input.readOnly = true;
  input.value = link;
  input.setAttribute('aria-label', 'Share link');
  share.append(el('span', 'k-field-label', 'Share link'), input, button('Copy', () => copyText(link), 'k-button'));
  const graph = el('div', 'k-graph-host');
  host.append(share, typePicker(r.profileTypes || [], r.profileType), graph);
  mountFlame(graph, fg, { title: r.name, subject: r.id, profileType: r.profileType, unit }, {});
}

/**
 * Two profiles side by side, or their diff.
 * @param {HTMLElement} host
 * @param {string} left
 * @param {string} right
 * @param {'compare' | 'diff'} mode
 * @param {string | null} ptype
 */
async function drawPair(host, left, right, mode, ptype) {
  const graph = el('div', mode === 'diff' ? 'k-graph-host' : 'k-sides');
  if (mode === 'diff') {
    const r = await adhoc('Diff', { leftId: left, rightId: right, profileType: ptype || undefined });
    const { fg, unit } = payloadOf(r.flamebearerProfile);
    host.append(typePicker(r.profileTypes || [], ptype || r.profileTypes?.[0] || ''), graph);
    const meta = { title: `Diff: ${left} \u2192 ${right}`, subject: `${left} \u2192 ${right}`, profileType: ptype || '', unit };
    mountFlame(graph, fg, meta, { view: 'both' });
    return;
  }
  const got = await Promise.all([left, right].map((id) => adhoc('Get', { id, profileType: ptype || undefined })));
  host.append(typePicker(got[0].profileTypes || [], got[0].profileType), graph);
  got.forEach((r, i) => {
    const col = el('section', `k-side k-side-${i ? 'right' : 'left'}`);
    graph.append(col);
    const { fg, unit } = payloadOf(r.flamebearerProfile);
    mountBeside(col, fg, { title: r.name, subject: r.id, profileType: r.profileType, unit }, { view: 'flamegraph' });
  });
}
