// The top-functions table (self and total, sortable; a click focuses the
// flame graph on the function) and compare mode's table by change.
import { count, escapeHtml, percent } from './format.js';

function sortable(table, columns, rows, render, initial) {
  let by = initial;
  let descending = true;
  const draw = () => {
    const sorted = [...rows].sort((a, b) => {
      const x = columns[by].value(a), y = columns[by].value(b);
      const order = typeof x === 'string' ? x.localeCompare(y) : x - y;
      return descending ? -order : order;
    });
    table.innerHTML = `<thead><tr>${columns.map((c, i) =>
      `<th class="${c.cls || ''}" data-column="${i}">${c.title}${i === by ? (descending ? ' ▾' : ' ▴') : ''}</th>`).join('')}</tr></thead>` +
      `<tbody>${sorted.map(render).join('')}</tbody>`;
  };
  table.onclick = null;
  table.addEventListener('click', (e) => {
    const th = e.target.closest('th[data-column]');
    if (!th) return;
    const column = Number(th.dataset.column);
    descending = column === by ? !descending : true;
    by = column;
    draw();
  });
  draw();
}

export function topTable(table, answer, onFocus) {
  const total = answer.range.samples;
  const columns = [
    { title: 'self', value: (f) => f.self },
    { title: 'total', value: (f) => f.total },
    { title: 'kind', value: (f) => f.kind, cls: 'name' },
    { title: 'function', value: (f) => f.name, cls: 'name' },
  ];
  const rows = answer.functions.map((f, i) => ({ ...f, i }));
  const fresh = table.cloneNode(false);
  table.replaceWith(fresh);
  sortable(fresh, columns, rows, (f) =>
    `<tr class="row" data-name="${escapeHtml(f.name)}"><td title="${count(f.self)} samples">${percent(f.self, total)}</td>` +
    `<td title="${count(f.total)} samples">${percent(f.total, total)}</td><td class="name">${escapeHtml(f.kind)}</td>` +
    `<td class="name">${escapeHtml(f.name)} <small>${escapeHtml(f.file)}</small></td></tr>`, 0);
  fresh.addEventListener('click', (e) => {
    const row = e.target.closest('tr.row');
    if (row) onFocus(row.dataset.name);
  });
  return fresh;
}

export function diffTable(table, answer, onSearch) {
  const columns = [
    { title: 'change', value: (f) => Math.abs(f.delta) },
    { title: 'before', value: (f) => f.before },
    { title: 'after', value: (f) => f.after },
    { title: 'kind', value: (f) => f.kind, cls: 'name' },
    { title: 'function', value: (f) => f.name, cls: 'name' },
  ];
  const fresh = table.cloneNode(false);
  table.replaceWith(fresh);
  sortable(fresh, columns, answer.functions, (f) => {
    const points = f.delta * 100;
    return `<tr class="row" data-name="${escapeHtml(f.name)}"><td class="${points >= 0 ? 'grown-text' : 'shrunk-text'}">` +
      `${points >= 0 ? '+' : ''}${points.toFixed(2)}</td><td>${(f.before * 100).toFixed(2)}%</td>` +
      `<td>${(f.after * 100).toFixed(2)}%</td><td class="name">${escapeHtml(f.kind)}</td>` +
      `<td class="name">${escapeHtml(f.name)} <small>${escapeHtml(f.file)}</small></td></tr>`;
  }, 0);
  fresh.addEventListener('click', (e) => {
    const row = e.target.closest('tr.row');
    if (row) onSearch(row.dataset.name);
  });
  return fresh;
}
