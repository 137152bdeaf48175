// Numbers and times for people.
export function percent(part, whole, digits = 2) {
  return whole > 0 ? `${((100 * part) / whole).toFixed(digits)}%` : '–';
}

export function count(n) {
  return Math.round(n).toLocaleString('en-US');
}

export function bytes(n) {
  if (n == null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

// Epoch seconds as "2026-11-25T19:05:12Z" (the API and the URL take it).
export function isoTime(seconds) {
  return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) =>
    ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
