// The UI's tree code (web/src/flame_data.js) on a tree shaped like the API's:
// decoding, search shares and the sandwich view. Run by ctest (ui.flame_data)
// with node's test runner; no browser needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeTree, findPath, pathOf, sandwich, searchTotal } from '../src/flame_data.js';

// all 100 ─ app 100 ─ main 100 ┬ handle 70 ┬ parse 40 (self 40)
//                              │           └ render 30 ─ parse 10 (self 10), render self 20
//                              └ parse 30 (self 30)
const strings = ['all', 'app', 'main', 'handle', 'parse', 'render', 'process', 'python', ''];
const node = (name, kind, self, total, children) => [name, kind, 8, 0, 8, self, total, children];
const answer = {
  strings,
  nodes: [
    node(0, 0, 0, 100, 1), node(1, 6, 0, 100, 1), node(2, 7, 0, 100, 2),
    node(3, 7, 0, 70, 2), node(4, 7, 40, 40, 0), node(5, 7, 20, 30, 1), node(4, 7, 10, 10, 0),
    node(4, 7, 30, 30, 0),
  ],
};

test('decodes preorder nodes with child counts', () => {
  const root = decodeTree(answer);
  assert.equal(root.total, 100);
  const render = findPath(root, ['app', 'main', 'handle', 'render']);
  assert.equal(render.name, 'render');
  assert.equal(render.self, 20);
  assert.equal(render.children[0].name, 'parse');
  assert.deepEqual(pathOf(render.children[0]), ['app', 'main', 'handle', 'render', 'parse']);
  assert.equal(findPath(root, ['app', 'main']).children.length, 2);
});

test('a search counts each sample once, however many matches its stack has', () => {
  const root = decodeTree(answer);
  assert.equal(searchTotal(root, /^parse$/), 80);
  assert.equal(searchTotal(root, /^(handle|parse)$/), 100);
  assert.equal(searchTotal(root, /^render$/), 30);
  assert.equal(searchTotal(root, /^app$/), 0);  // process frames are not functions
});

test('the sandwich merges callers and callees of every place', () => {
  const root = decodeTree(answer);
  const s = sandwich(root, 'parse');
  assert.equal(s.places, 3);
  const callers = s.callers.children[0];
  assert.equal(callers.name, 'parse');
  assert.equal(callers.total, 80);
  const byName = Object.fromEntries(callers.children.map((c) => [c.name, c.total]));
  assert.deepEqual(byName, { handle: 40, render: 10, main: 30 });
  const viaRender = callers.children.find((c) => c.name === 'render');
  assert.equal(viaRender.children[0].name, 'handle');

  const r = sandwich(root, 'render');
  const callees = r.callees.children[0];
  assert.equal(callees.total, 30);
  assert.equal(callees.self, 20);
  assert.equal(callees.children[0].name, 'parse');
  assert.equal(callees.children[0].total, 10);
});
