// ember's web UI: state in the URL (state.js), data from the JSON API
// (api.js), charts (timeline.js), the flame graph (flamegraph.js) and tables.
import { apiUrl, getJson, profileParams, selection, targetParam } from './api.js';
import { decodeTree, findPath, pathOf, sandwich, searchTotal } from './flame_data.js';
import { FlameGraph } from './flamegraph.js';
import { count, escapeHtml, isoTime, percent } from './format.js';
import { Picker } from './picker.js';
import { readState, writeState, zoomPath } from './state.js';
import { diffTable, topTable } from './tables.js';
import { Timeline } from './timeline.js';

const $ = (id) => document.getElementById(id);
let state = readState();
let root = null;       // the decoded flame tree of the current view
let range = null;      // {from, to} of the last timeline answer, epoch seconds
let loading = null;    // AbortController of the requests in flight
let table = $('table');

const tooltip = $('tooltip');
const flame = new FlameGraph($('flame'), tooltip, { onZoom: (node) => update({ zoom: zoomOf(node) }) });
const callers = new FlameGraph($('sandwich-callers'), tooltip);
const callees = new FlameGraph($('sandwich-callees'), tooltip);
const timeline = new Timeline($('cpu-chart'), $('memory-chart'), (from, to, shift) => {
  const span = { from: from.toFixed(3), to: to.toFixed(3) };
  if (shift && state.mode === 'compare') update({ bfrom: span.from, bto: span.to });
  else update({ from: span.from, to: span.to, zoom: '' });
});
const picker = new Picker($('target-search'), $('target-list'), {
  range: () => state,
  onPick: (t) => update({ t, zoom: '', focus: '', fn: '' }),
});
// Compare mode's baseline target: another service or process as the
// "before" of the same or another range (one process against another).
const SAME_TARGET = 'the same target';
const basePicker = new Picker($('base-target'), $('base-target-list'), {
  range: () => state,
  onPick: (bt) => update({ bt }),
  anyLabel: SAME_TARGET,
});

const DEFAULT_RESOLUTION = 10000;  // the API's default `resolution`

function zoomOf(node) { return node && node.parent ? JSON.stringify(pathOf(node)) : ''; }

function searchRegex() {
  if (!state.q) return null;
  try { return new RegExp(state.q); } catch { return new RegExp(state.q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')); }
}

function update(changes) {
  state = { ...state, ...changes };
  writeState(state);
  render();
}

window.addEventListener('popstate', () => { state = readState(); render(); });

function setStatus(text) { $('status').textContent = text || ''; }

function showControls() {
  for (const b of document.querySelectorAll('#ranges button[data-range]')) {
    b.classList.toggle('active', b.dataset.range === state.from && !state.to);
  }
  for (const b of document.querySelectorAll('#modes button')) {
    b.classList.toggle('active', b.dataset.mode === state.mode);
  }
  $('range-from').value = state.from;
  $('range-to').value = state.to || 'now';
  $('base-from').value = state.bfrom;
  $('base-to').value = state.bto;
  $('flame-up').checked = state.up === '1';
  $('native').checked = state.native === '1';
  if (document.activeElement !== $('search')) $('search').value = state.q;
  $('compare-bar').hidden = state.mode !== 'compare';
  for (const format of ['svg', 'folded', 'pprof', 'speedscope']) {
    const params = profileParams(state);
    params.set('format', format);
    const focus = state.focus || (state.mode === 'sandwich' ? sandwichName() : '');
    if (focus) params.set('focus', focus);
    // The zoomed node, as the flame graph shows it (one `zoom` per level).
    if (state.mode === 'flame') for (const name of zoomPath(state)) params.append('zoom', name);
    $(`export-${format}`).href = apiUrl('export', params);
  }
}

// The sandwich's function: chosen, else the search when it names one function.
function sandwichName() {
  const plain = /^\^?([^\\^$*+?()[\]{}|]+)\$?$/.exec(state.q);
  return state.fn || (plain ? plain[1] : '');
}

function targetLabel() { return state.t ? state.t.slice(state.t.indexOf(':') + 1) : 'all processes'; }

async function render() {
  // Marks for scripts (bench/ui/paint.mjs): each render's start, and when
  // its views are drawn, the measure `ember:render` between them.
  performance.mark('ember:render-start');
  showControls();
  if (loading) loading.abort();
  loading = new AbortController();
  const signal = loading.signal;
  document.body.dataset.busy = '1';
  setStatus('');
  try {
    const timelineParams = selection(state);
    timelineParams.set('points', String(Math.min(2000, Math.max(60, Math.round($('cpu-chart').clientWidth / 3)))));
    const line = await getJson('timeline', timelineParams, signal);
    range = { from: line.from, to: line.to };
    timeline.show(line, targetLabel());
    picker.show(state.t);
    basePicker.show(state.bt);
    await drawMode(signal);
  } catch (e) {
    if (e.name === 'AbortError') return;
    setStatus(e.message);
    clearViews();
  }
  if (signal.aborted) return;
  document.body.dataset.busy = '';
  performance.mark('ember:drawn');
  performance.measure('ember:render', 'ember:render-start', 'ember:drawn');
  window.ember.renders++;
}

function clearViews() {
  root = null;
  flame.setData({ name: 'all', kind: 'all', total: 0, children: [], parent: null });
  flame.draw();
  $('breadcrumb').innerHTML = '';
  $('search-result').textContent = '';
}

async function drawMode(signal) {
  const mode = state.mode;
  $('flame-wrap').hidden = !(mode === 'flame' || mode === 'compare');
  $('sandwich').hidden = mode !== 'sandwich';
  table.hidden = !(mode === 'top' || mode === 'compare');
  $('compare-summary').textContent = '';
  if (mode === 'top') return drawTop(signal);
  if (mode === 'compare') return drawCompare(signal);
  const params = profileParams(state);
  if (state.focus) params.set('focus', state.focus);
  let answer = await getJson('flamegraph', params, signal);
  root = decodeTree(answer);
  // The server leaves out nodes under 1/resolution of the tree (docs/api.md):
  // zoomed into a node, ask again for the detail its width needs.
  const zoomed = findPath(root, zoomPath(state));
  const share = root.total > 0 ? zoomed.total / root.total : 1;
  if (share < 0.5) {
    params.set('resolution', String(Math.min(1e9, Math.ceil(DEFAULT_RESOLUTION / Math.max(share, 1e-5)))));
    answer = await getJson('flamegraph', params, signal);
    root = decodeTree(answer);
  }
  legend(answer.kinds);
  if (mode === 'sandwich') return drawSandwich(answer.kinds);
  flame.setData(root, { kinds: answer.kinds });
  showFlame();
}

function showFlame() {
  const regex = searchRegex();
  flame.up = state.up === '1';
  flame.zoom = findPath(root, zoomPath(state));
  flame.search = regex;
  flame.draw();
  breadcrumb(flame.zoom);
  $('search-result').textContent = regex
    ? `matches: ${percent(searchTotal(root, regex), root.total)} of the samples (${count(searchTotal(root, regex))})`
    : '';
}

function breadcrumb(node) {
  const parts = [];
  if (state.focus) parts.push(`<span data-clear-focus>focus: ${escapeHtml(state.focus)} ✕</span> ·`);
  const path = [];
  for (let n = node; n; n = n.parent) path.unshift(n);
  path.forEach((n, i) => parts.push(`<span data-depth="${i}">${escapeHtml(n.name)}</span>`));
  $('breadcrumb').innerHTML = parts.join(' › ');
  $('breadcrumb').onclick = (e) => {
    if (e.target.closest('[data-clear-focus]')) return update({ focus: '', zoom: '' });
    const item = e.target.closest('[data-depth]');
    if (item) update({ zoom: zoomOf(path[Number(item.dataset.depth)]) });
  };
}

function legend(kinds) {
  $('legend').innerHTML = kinds
    .map((k) => `<span><i style="background:${escapeHtml(k.color || '#c7c7c7')}"></i>${escapeHtml(k.kind)}</span>`)
    .join('');
}

async function drawTop(signal) {
  const answer = await getJson('functions', profileParams(state), signal);
  table = topTable(table, answer, (name) => update({ mode: 'flame', focus: name, zoom: '' }));
  table.hidden = false;
}

function defaultBaseline() {
  if (state.bfrom || !range) return { from: state.bfrom, to: state.bto };
  const span = range.to - range.from;
  return { from: (range.from - span).toFixed(3), to: range.from.toFixed(3) };
}

async function drawCompare(signal) {
  const params = profileParams(state);
  const base = defaultBaseline();
  if (base.from) params.set('base_from', base.from);
  if (base.to) params.set('base_to', base.to);
  const baseTarget = targetParam(state.bt);
  if (baseTarget) params.set(`base_${baseTarget[0]}`, baseTarget[1]);
  const answer = await getJson('diff', params, signal);
  root = decodeTree(answer);
  legend([]);
  flame.setData(root, { kinds: answer.kinds, diff: true });
  showFlame();
  const b = answer.before, a = answer.after;
  const cpu = (s) => (s.frequency_hz ? `${(s.samples / s.frequency_hz / Math.max(1e-9, s.to - s.from)).toFixed(2)} cores` : '');
  $('compare-summary').textContent =
    `baseline ${state.bt ? state.bt.replace(':', ' ') + ' ' : ''}` +
    `${isoTime(b.from)} – ${isoTime(b.to)}: ${count(b.samples)} samples, ${cpu(b)}; ` +
    `compared ${isoTime(a.from)} – ${isoTime(a.to)}: ${count(a.samples)} samples, ${cpu(a)}`;
  table = diffTable(table, answer, (name) => update({ q: `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` }));
  table.hidden = false;
}

function drawSandwich(kinds) {
  const name = sandwichName();
  $('sandwich-name').textContent = name || '(search a function, or pick one in the top table)';
  if (!name) return;
  const s = sandwich(root, name);
  callers.setData(s.callers, { kinds });
  callees.setData(s.callees, { kinds });
  callers.draw();
  callees.draw();
}

// Controls.
for (const b of document.querySelectorAll('#ranges button[data-range]')) {
  b.addEventListener('click', () => update({ from: b.dataset.range, to: '', zoom: '' }));
}
$('range-apply').addEventListener('click', () => {
  const to = $('range-to').value.trim();
  update({ from: $('range-from').value.trim(), to: to === 'now' ? '' : to, zoom: '' });
});
$('base-apply').addEventListener('click', () =>
  update({ bfrom: $('base-from').value.trim(), bto: $('base-to').value.trim() }));
for (const b of document.querySelectorAll('#modes button')) {
  b.addEventListener('click', () => update({ mode: b.dataset.mode }));
}
$('flame-up').addEventListener('change', (e) => update({ up: e.target.checked ? '1' : '' }));
$('native').addEventListener('change', (e) => update({ native: e.target.checked ? '1' : '', zoom: '' }));
let searchTimer = 0;
$('search').addEventListener('input', (e) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    state = { ...state, q: e.target.value };
    writeState(state);
    if (state.mode === 'sandwich') { state.fn = state.q; render(); } else if (root) showFlame();
  }, 150);
});

// For tests and scripts: the views and a count of finished renders.
window.ember = { flame, timeline, callers, callees, renders: 0, state: () => state };
render();
