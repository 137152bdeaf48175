// The CPU and memory charts (uPlot): the host's and the selection's series
// over the range; dragging across either selects a time range (shift-drag:
// the baseline, in compare mode).
import uPlot from '../vendor/uPlot.esm.js';
import { bytes } from './format.js';

const UTC = (seconds) => uPlot.tzDate(new Date(seconds * 1e3), 'Etc/UTC');

function options(title, series, axes, width, onSelect) {
  return {
    title, width, height: 180, tzDate: UTC,
    cursor: { drag: { x: true, y: false, setScale: false } },
    select: { show: true },
    scales: {
      x: { time: true },
      '%': { range: [0, 100] },
      cores: { range: (u, min, max) => [0, Math.max(0.1, (max || 0) * 1.1)] },
      host: { range: (u, min, max) => [0, Math.max(1, (max || 0) * 1.1)] },
      rss: { range: (u, min, max) => [0, Math.max(1, (max || 0) * 1.1)] },
    },
    series: [{}, ...series],
    axes: [{}, ...axes],
    hooks: {
      init: [(u) => u.over.addEventListener('mousedown', (e) => { u.shiftDrag = e.shiftKey; })],
      setSelect: [(u) => {
        if (u.select.width < 2) return;
        const from = u.posToVal(u.select.left, 'x');
        const to = u.posToVal(u.select.left + u.select.width, 'x');
        u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
        onSelect(from, to, u.shiftDrag);
      }],
    },
  };
}

export class Timeline {
  constructor(cpuElement, memoryElement, onSelect) {
    this.cpuElement = cpuElement;
    this.memoryElement = memoryElement;
    this.onSelect = onSelect;
    this.cpu = null;
    this.memory = null;
    new ResizeObserver(() => this.resize()).observe(cpuElement.parentElement);
  }

  width(element) { return Math.max(240, element.clientWidth); }

  resize() {
    if (this.cpu) this.cpu.setSize({ width: this.width(this.cpuElement), height: 180 });
    if (this.memory) this.memory.setSize({ width: this.width(this.memoryElement), height: 180 });
  }

  // `data`: the /api/v1/timeline answer.
  show(data, selectionLabel) {
    const time = data.time;
    const hostCpu = data.host.cpu_utilization.map((v) => (v == null ? null : v * 100));
    const cpuData = [time, hostCpu, data.selection.cpu_cores];
    const memoryData = [time, data.host.memory_used_bytes, data.selection.rss_bytes];
    const select = (from, to, shift) => this.onSelect(from, to, shift);
    if (!this.cpu) {
      this.cpu = new uPlot(options('CPU', [
        { label: 'host busy', scale: '%', stroke: '#888', value: (u, v) => (v == null ? '–' : `${v.toFixed(1)}%`) },
        { label: selectionLabel, scale: 'cores', stroke: '#c0392b', fill: '#c0392b22', width: 1.5,
          value: (u, v) => (v == null ? '–' : `${v.toFixed(2)} cores`) },
      ], [
        { scale: '%', values: (u, vals) => vals.map((v) => `${v}%`) },
        { scale: 'cores', side: 1, grid: { show: false } },
      ], this.width(this.cpuElement), select), cpuData, this.cpuElement);
      this.memory = new uPlot(options('memory', [
        { label: 'host used', scale: 'host', stroke: '#888', value: (u, v) => bytes(v) },
        { label: `${selectionLabel} RSS`, scale: 'rss', stroke: '#2458a8', fill: '#2458a822', width: 1.5,
          value: (u, v) => bytes(v) },
      ], [
        { scale: 'host', values: (u, vals) => vals.map(bytes), size: 84 },
        { scale: 'rss', side: 1, grid: { show: false }, values: (u, vals) => vals.map(bytes), size: 84 },
      ], this.width(this.memoryElement), select), memoryData, this.memoryElement);
    } else {
      this.cpu.setData(cpuData);
      this.memory.setData(memoryData);
      this.relabel(this.cpu, selectionLabel);
      this.relabel(this.memory, `${selectionLabel} RSS`);
    }
    for (const chart of [this.cpu, this.memory]) chart.setScale('x', { min: data.from, max: data.to });
  }

  relabel(chart, label) {
    chart.series[2].label = label;
    const cell = chart.root.querySelectorAll('.u-legend .u-series')[2];
    const text = cell && cell.querySelector('.u-label');
    if (text) text.textContent = label;
  }

  // For tests: page x of a time on the CPU chart and the chart's vertical middle.
  pagePoint(seconds) {
    const over = this.cpu.over.getBoundingClientRect();
    return { x: over.left + this.cpu.valToPos(seconds, 'x'), y: over.top + over.height / 2 };
  }
}
