// The target picker: services, processes, containers, pods and single
// processes of the range with their sample counts, searched as one types.
import { getJson, selection } from './api.js';
import { count, escapeHtml } from './format.js';

export class Picker {
  // `anyLabel` names the first item, the empty target: everything for the
  // main picker, "the same as the target" for compare mode's baseline.
  constructor(input, list, { range, onPick, anyLabel = 'everything' }) {
    this.input = input;
    this.list = list;
    this.range = range;  // () => the current state
    this.onPick = onPick;
    this.anyLabel = anyLabel;
    this.label = '';
    this.timer = 0;
    this.request = null;
    input.addEventListener('focus', () => { input.select(); this.refresh(); });
    input.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.refresh(), 120);
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.close();
      if (e.key === 'Enter') {
        const first = this.list.querySelector('li[data-target]');
        if (first) first.dispatchEvent(new MouseEvent('mousedown'));
      }
    });
    input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
    list.addEventListener('mousedown', (e) => {
      const item = e.target.closest('li[data-target]');
      if (!item) return;
      e.preventDefault();
      this.label = item.dataset.label;
      this.onPick(item.dataset.target);
      this.close();
    });
  }

  show(target, label) {
    this.label = label || (target ? target.replace(':', ': ') : this.anyLabel);
    if (document.activeElement !== this.input) this.input.value = this.label;
  }

  close() {
    this.list.hidden = true;
    if (document.activeElement !== this.input) this.input.value = this.label;
  }

  async refresh() {
    const state = this.range();
    const params = selection({ ...state, t: '' });
    const q = this.input.value === this.label ? '' : this.input.value.trim();
    if (q) params.set('q', q);
    if (this.request) this.request.abort();
    this.request = new AbortController();
    let answer;
    try {
      answer = await getJson('targets', params, this.request.signal);
    } catch (e) {
      if (e.name === 'AbortError') return;
      this.list.innerHTML = `<li class="empty">${escapeHtml(e.message)}</li>`;
      this.list.hidden = false;
      return;
    }
    const any = escapeHtml(this.anyLabel);
    const items = [`<li data-target="" data-label="${any}"><span class="param">all</span>` +
      `<span class="label">${any}</span><span class="count">${count(answer.range.samples)}</span></li>`];
    for (const t of answer.targets) {
      items.push(`<li data-target="${escapeHtml(`${t.param}:${t.value}`)}" data-label="${escapeHtml(t.label)}">` +
        `<span class="param">${escapeHtml(t.param)}</span><span class="label">${escapeHtml(t.label)}</span>` +
        `<span class="count">${count(t.samples)}</span></li>`);
    }
    if (answer.matched > answer.targets.length) {
      items.push(`<li class="empty">${answer.matched - answer.targets.length} more: type to narrow</li>`);
    }
    this.list.innerHTML = items.join('');
    this.list.hidden = false;
  }
}
