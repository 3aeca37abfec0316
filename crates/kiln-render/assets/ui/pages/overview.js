// The services overview, the landing page: every service with its profile
// types, when it was last seen and its CPU over the range; a filter box.
// An empty server shows how to send a first profile.

import { el } from '../../ui.js';
import { formatValue } from '../../format.js';
import { selectSeries } from '../api.js';
import { hrefOf, navigate, sharedParams } from '../state.js';
import { sparkline } from '../timeline.js';
import { formatTime, stepOf } from '../time.js';

/**
 * @param {HTMLElement} host
 * @param {import('../shell.js').Context} ctx
 */
export async function render(host, ctx) {
  const services = [...ctx.catalog.types.keys()].sort();
  host.append(el('h1', 'k-page-title', 'Services'));
  if (!services.length) return host.append(emptyHelp());
  const activity = await lastSeen(ctx, services);
  const filter = /** @type {HTMLInputElement} */ (el('input', 'k-filter'));
  filter.type = 'search';
  filter.placeholder = 'Filter services';
  filter.setAttribute('aria-label', 'Filter services');
  const table = el('table', 'k-services');
  const head = el('tr');
  for (const h of ['Service', 'Profile types', 'Last seen', 'CPU over the range', 'CPU total']) head.append(el('th', '', h));
  const body = el('tbody');
  const rows = services.map((s) => serviceRow(ctx, s, activity.get(s)));
  body.append(...rows);
  table.append(el('thead'), body);
  /** @type {HTMLElement} */ (table.firstChild).append(head);
  filter.addEventListener('input', () => {
    const q = filter.value.toLowerCase();
    rows.forEach((r, i) => (r.hidden = !services[i].toLowerCase().includes(q)));
  });
  host.append(filter, table);
}

/**
 * CPU points of each service (the busiest CPU-like type), grouped by service.
 * @param {import('../shell.js').Context} ctx
 * @param {string[]} services
 * @returns {Promise<Map<string, import('../api.js').Point[]>>}
 */
async function lastSeen(ctx, services) {
  const types = new Set(services.map((s) => (ctx.catalog.types.get(s) || [])[0]).filter(Boolean));
  const step = stepOf(ctx.range, 60);
  const out = new Map();
  const all = await Promise.all([...types].map((type) => selectSeries({
    type, selector: '{}', start: ctx.range.start, end: ctx.range.end, step, groupBy: ['service_name'],
  }).then((series) => series.map((s) => ({ type, s })))));
  for (const { type, s } of all.flat()) {
    const name = s.labels.find((l) => l.name === 'service_name')?.value || '';
    if ((ctx.catalog.types.get(name) || [])[0] === type) out.set(name, s.points);
  }
  return out;
}

/**
 * @param {import('../shell.js').Context} ctx
 * @param {string} service
 * @param {import('../api.js').Point[] | undefined} points
 */
function serviceRow(ctx, service, points) {
  const tr = el('tr');
  tr.dataset.service = service;
  const types = ctx.catalog.types.get(service) || [];
  const name = exploreLink(service, types[0], service, 'k-service-link');
  const chips = el('td');
  for (const t of types) chips.append(exploreLink(service, t, t.split(':').slice(0, 2).join(':'), 'k-type-chip'));
  const pts = (points || []).filter((p) => p.v > 0);
  const seen = pts.length ? formatTime(pts[pts.length - 1].t, ctx.tz) : '\u2014';
  const unit = (types[0] || '').split(':')[2] || '';
  const total = pts.reduce((a, p) => a + p.v, 0);
  const spark = el('td');
  spark.append(sparkline(points || [], ctx.range.start, ctx.range.end));
  const first = el('td');
  first.append(name);
  tr.append(first, chips, el('td', '', seen), spark, el('td', '', pts.length ? formatValue(total, unit) : '\u2014'));
  return tr;
}

/**
 * A link to explore `service` with profile type `type`.
 * @param {string} service
 * @param {string} type
 * @param {string} text
 * @param {string} className
 */
function exploreLink(service, type, text, className) {
  const a = /** @type {HTMLAnchorElement} */ (el('a', className, text));
  a.href = hrefOf('explore', { ...sharedParams(), service, type, query: null });
  a.title = type;
  a.addEventListener('click', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    navigate('explore', { service, type, query: null });
  });
  return a;
}

/** What to do on an empty server: a curl line and the SDK settings. */
function emptyHelp() {
  const box = el('div', 'k-empty');
  const origin = location.origin;
  box.append(
    el('p', '', 'No profiles yet. Send a first one with curl:'),
    el('pre', '', `curl -X POST --data-binary $'main;work 3\\nmain;idle 1\\n' \\\n  '${origin}/ingest?name=demo.cpu&sampleRate=100'`),
    el('p', '', 'or point a Pyroscope SDK at this server:'),
    el('pre', '', `pyroscope.configure(\n    application_name="my-service",\n    server_address="${origin}",\n)`),
    el('p', '', 'Go: pyroscope.Start(pyroscope.Config{ApplicationName: "my-service", ServerAddress: "' + origin + '"}). Profiles appear here within seconds.'),
  );
  return box;
}
