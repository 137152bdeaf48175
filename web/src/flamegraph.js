// A flame graph on a canvas: icicle (root on top) or flame (root at the
// bottom), frames colored by kind, hover tooltip, click to zoom, search
// highlighting; in compare mode widths are both ranges' shares and colors
// show growth (red) or shrinkage (blue). Canvas, not SVG: 100k frames draw
// in milliseconds and only the frames wider than half a pixel are drawn.
import { count, escapeHtml, percent } from './format.js';

const ROW = 18;
const FONT = '12px system-ui, sans-serif';
const FIXED_COLORS = { all: '#8c8c8c', process: '#b4b4b4' };
const MATCH = '#e040fb';

function hashOf(text) {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return h;
}

// The kind's color, lighter or darker by the name so neighbours differ.
function shade(hex, name) {
  const v = parseInt(hex.slice(1), 16);
  const f = 0.88 + ((hashOf(name) >>> 0) % 24) / 100;
  const c = (s) => Math.max(0, Math.min(255, Math.round(((v >> s) & 255) * f)));
  return `rgb(${c(16)},${c(8)},${c(0)})`;
}

function mix(from, to, t) {
  const c = (i) => Math.round(from[i] + (to[i] - from[i]) * t);
  return `rgb(${c(0)},${c(1)},${c(2)})`;
}

export class FlameGraph {
  constructor(canvas, tooltip, { onZoom = () => {} } = {}) {
    this.canvas = canvas;
    this.tooltip = tooltip;
    this.onZoom = onZoom;
    this.root = null;
    this.zoom = null;
    this.up = false;
    this.search = null;
    this.kindColors = {};
    this.diff = false;
    this.rows = [];
    canvas.addEventListener('mousemove', (e) => this.hover(e));
    canvas.addEventListener('mouseleave', () => { this.tooltip.hidden = true; });
    canvas.addEventListener('click', (e) => {
      const hit = this.hit(e);
      if (hit) this.onZoom(hit.node);
    });
    new ResizeObserver(() => this.draw()).observe(canvas.parentElement);
  }

  setData(root, { kinds = [], diff = false } = {}) {
    this.root = root;
    this.zoom = root;
    this.diff = diff;
    this.kindColors = Object.fromEntries(kinds.map((k) => [k.kind, k.color || '#c7c7c7']));
    if (diff) {
      this.afterTotal = root.total || 1;
      this.beforeTotal = root.baseTotal || 1;
      let most = 0;
      const stack = [root];
      while (stack.length) {
        const n = stack.pop();
        most = Math.max(most, Math.abs(this.delta(n)));
        stack.push(...n.children);
      }
      this.mostDelta = most || 1;
    }
  }

  setZoom(node) { this.zoom = node || this.root; this.draw(); }
  setUp(up) { this.up = up; this.draw(); }
  setSearch(regex) { this.search = regex; this.draw(); }

  // Compare mode: a node's share of each range, and its change.
  delta(n) { return n.total / this.afterTotal - n.baseTotal / this.beforeTotal; }
  weight(n) {
    return this.diff ? n.total / this.afterTotal + n.baseTotal / this.beforeTotal : n.total;
  }

  color(n) {
    if (this.search && n.parent && n.kind !== 'process' && this.search.test(n.name)) return MATCH;
    if (this.diff && n.parent) {
      const d = this.delta(n);
      const t = Math.min(1, Math.abs(d) / this.mostDelta);
      return mix([236, 236, 236], d >= 0 ? [227, 74, 51] : [49, 130, 189], Math.sqrt(t));
    }
    if (FIXED_COLORS[n.kind]) return FIXED_COLORS[n.kind];
    const color = shade(this.kindColors[n.kind] || '#c7c7c7', n.name);
    return this.search ? mix([230, 230, 230], [200, 200, 200], 0.5) : color;
  }

  draw() {
    const canvas = this.canvas;
    const width = canvas.parentElement.clientWidth;
    if (!this.root || !width) return;
    const ancestors = [];
    for (let n = this.zoom.parent; n; n = n.parent) ancestors.unshift(n);
    let depth = 0;
    const measure = (n, d) => {
      depth = Math.max(depth, d);
      for (const c of n.children) if (this.weight(c) > 0) measure(c, d + 1);
    };
    measure(this.zoom, ancestors.length);
    const height = (depth + 1) * ROW;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    this.rows = Array.from({ length: depth + 1 }, () => []);
    this.height = height;
    this.width = width;
    const y = (d) => (this.up ? height - (d + 1) * ROW : d * ROW);
    const box = (n, x, w, d) => {
      ctx.fillStyle = this.color(n);
      ctx.fillRect(x, y(d), Math.max(w - 0.5, 0.5), ROW - 1);
      if (w > 28) {
        ctx.fillStyle = '#111';
        ctx.save();
        ctx.beginPath();
        ctx.rect(x, y(d), w - 2, ROW);
        ctx.clip();
        ctx.fillText(n.name, x + 3, y(d) + ROW / 2);
        ctx.restore();
      }
      this.rows[d].push({ x, w, node: n });
    };
    ancestors.forEach((n, d) => box(n, 0, width, d));
    const scale = width / (this.weight(this.zoom) || 1);
    const walk = (n, x, d) => {
      const w = this.weight(n) * scale;
      if (w < 0.5) return;
      box(n, x, w, d);
      let cx = x;
      for (const c of n.children) {
        walk(c, cx, d + 1);
        cx += this.weight(c) * scale;
      }
    };
    walk(this.zoom, 0, ancestors.length);
  }

  hit(event) {
    const rect = this.canvas.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const yy = event.clientY - rect.top;
    const d = this.up ? Math.floor((this.height - yy) / ROW) : Math.floor(yy / ROW);
    const row = this.rows[d];
    if (!row) return null;
    let lo = 0, hi = row.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = row[mid];
      if (x < r.x) hi = mid - 1;
      else if (x >= r.x + r.w) lo = mid + 1;
      else return r;
    }
    return null;
  }

  hover(event) {
    const hit = this.hit(event);
    if (!hit) { this.tooltip.hidden = true; return; }
    this.tooltip.innerHTML = this.describe(hit.node);
    this.tooltip.hidden = false;
    const pad = 14;
    const tw = this.tooltip.offsetWidth;
    const left = event.clientX + pad + tw > window.innerWidth ? event.clientX - tw - pad : event.clientX + pad;
    this.tooltip.style.left = `${Math.max(0, left)}px`;
    this.tooltip.style.top = `${event.clientY + pad}px`;
  }

  describe(n) {
    const lines = [`<b>${escapeHtml(n.name)}</b>`];
    const where = n.file ? `${n.file}${n.line ? ':' + n.line : ''}` : '';
    if (where || n.module) {
      lines.push(escapeHtml([where, n.module && n.module !== n.file ? `(${n.module})` : ''].filter(Boolean).join(' ')));
    }
    const parent = n.parent || n;
    if (this.diff) {
      const before = n.baseTotal / this.beforeTotal, after = n.total / this.afterTotal;
      const d = (after - before) * 100;
      lines.push(`${escapeHtml(n.kind)} · before ${(before * 100).toFixed(2)}% · after ${(after * 100).toFixed(2)}%`);
      lines.push(`<span class="${d >= 0 ? 'grown-text' : 'shrunk-text'}">${d >= 0 ? '+' : ''}${d.toFixed(2)} points</span> (${count(n.baseTotal)} → ${count(n.total)} samples)`);
    } else {
      lines.push(`${escapeHtml(n.kind)} · ${count(n.total)} samples (${count(n.self)} self)`);
      lines.push(`<span class="share">${percent(n.total, this.root.total)} of total</span> · ${percent(n.total, parent.total)} of parent`);
    }
    return lines.join('\n');
  }

  // For tests and scripts: the drawn frames in page coordinates.
  frames() {
    const rect = this.canvas.getBoundingClientRect();
    const out = [];
    this.rows.forEach((row, d) => {
      for (const r of row) {
        const top = this.up ? this.height - (d + 1) * ROW : d * ROW;
        out.push({ name: r.node.name, kind: r.node.kind, total: r.node.total,
          pythonChildren: r.node.children.some((c) => c.kind === 'python'),
          x: rect.left + r.x, y: rect.top + top, w: r.w, h: ROW });
      }
    });
    return out;
  }
}
