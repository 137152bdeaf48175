// The flame graph's behaviour in the browser, embedded in every SVG file:
// hover details, click to zoom, search with the matched share. Plain ES5 and
// DOM calls, no libraries, no network. Each box is a <g class="f"> whose data
// attributes hold the name (n), kind (k), samples (v), first sample offset (x)
// and depth (d).
#include "svg_flamegraph.hpp"

namespace ember::formats {

const char* const kFlameGraphScript = R"JS(
(function () {
  'use strict';
  var svg = document.documentElement;
  var width = +svg.getAttribute('data-width');
  var pad = +svg.getAttribute('data-pad');
  var total = +svg.getAttribute('data-total');
  var charWidth = 7;
  var details = document.getElementById('details');
  var matched = document.getElementById('matched');
  var unzoomButton = document.getElementById('unzoom');
  var search = document.getElementById('search');
  var boxes = Array.prototype.slice.call(document.querySelectorAll('g.f')).map(function (g) {
    var rect = g.querySelector('rect');
    return {
      g: g, rect: rect, text: g.querySelector('text'),
      name: g.getAttribute('data-n'), kind: g.getAttribute('data-k'),
      v: +g.getAttribute('data-v'), x: +g.getAttribute('data-x'), d: +g.getAttribute('data-d'),
      fill: rect.getAttribute('fill')
    };
  });
  var byElement = new Map(boxes.map(function (b) { return [b.g, b]; }));

  function share(samples) { return (100 * samples / total).toFixed(2) + '%'; }

  function describe(b) {
    return b.name + ' (' + b.kind + '): ' + b.v + ' samples, ' + share(b.v);
  }

  function fit(b, x, w) {
    b.rect.setAttribute('x', x.toFixed(1));
    b.rect.setAttribute('width', w.toFixed(1));
    b.text.setAttribute('x', (x + 3).toFixed(1));
    var chars = Math.floor((w - 6) / charWidth);
    b.text.textContent = chars < 3 ? '' :
        (b.name.length <= chars ? b.name : b.name.slice(0, chars - 2) + '..');
  }

  // Shows `z` and what it called across the full width, the boxes below it
  // (its callers) dimmed at full width, and hides the rest.
  function zoom(z) {
    var usable = width - 2 * pad;
    boxes.forEach(function (b) {
      var inside = b.d >= z.d && b.x >= z.x && b.x + b.v <= z.x + z.v;
      var below = b.d < z.d && b.x <= z.x && b.x + b.v >= z.x + z.v;
      var w = inside ? usable * b.v / z.v : usable;
      var visible = (inside && w >= 0.1) || below;
      b.g.classList.toggle('hidden', !visible);
      b.g.classList.toggle('parent', below);
      if (visible) fit(b, inside ? pad + usable * (b.x - z.x) / z.v : pad, w);
    });
    unzoomButton.classList.toggle('on', z.d > 0);
  }

  function boxOf(event) {
    var g = event.target.closest && event.target.closest('g.f');
    return g ? byElement.get(g) : null;
  }

  svg.addEventListener('mouseover', function (event) {
    var b = boxOf(event);
    if (b) details.textContent = describe(b);
  });
  svg.addEventListener('mouseout', function (event) {
    if (boxOf(event)) details.textContent = ' ';
  });
  svg.addEventListener('click', function (event) {
    var b = boxOf(event);
    if (b) zoom(b);
  });
  unzoomButton.addEventListener('click', function () { if (boxes.length) zoom(boxes[0]); });

  // Highlights boxes whose name contains the text (case-insensitive); the
  // share counts each sample once, however many matching boxes it is under.
  function find(term) {
    term = term.trim().toLowerCase();
    var spans = [];
    boxes.forEach(function (b) {
      var hit = term !== '' && b.name.toLowerCase().indexOf(term) >= 0;
      b.rect.setAttribute('fill', hit ? 'rgb(230,0,230)' : b.fill);
      b.g.classList.toggle('match', hit);
      if (hit) spans.push([b.x, b.x + b.v]);
    });
    if (term === '') { matched.textContent = ' '; return; }
    spans.sort(function (a, b) { return a[0] - b[0]; });
    var covered = 0, end = -1;
    spans.forEach(function (s) {
      if (s[0] >= end) { covered += s[1] - s[0]; end = s[1]; }
      else if (s[1] > end) { covered += s[1] - end; end = s[1]; }
    });
    matched.textContent = 'Matched: ' + share(covered) + ' (' + spans.length + ' frames)';
  }
  search.addEventListener('input', function () { find(search.value); });
})();
)JS";

}  // namespace ember::formats
