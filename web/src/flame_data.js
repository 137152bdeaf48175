// The API's flame trees (strings + preorder nodes, docs/api.md) as linked
// nodes, and what the views compute on them: paths, search shares, the
// sandwich of one function.
export function decodeTree(json) {
  const s = json.strings;
  const rows = json.nodes;
  let next = 0;
  const root = makeNode(rows[next++], s, null);
  const stack = [[root, rows[0][7]]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top[1] === 0) { stack.pop(); continue; }
    top[1]--;
    const row = rows[next++];
    const node = makeNode(row, s, top[0]);
    top[0].children.push(node);
    if (row[7] > 0) stack.push([node, row[7]]);
  }
  return root;
}

function makeNode(row, s, parent) {
  return {
    name: s[row[0]], kind: s[row[1]], file: s[row[2]], line: row[3], module: s[row[4]],
    self: row[5], total: row[6], baseSelf: row.length > 8 ? row[8] : 0,
    baseTotal: row.length > 9 ? row[9] : 0, children: [], parent,
  };
}

export function pathOf(node) {
  const names = [];
  for (let n = node; n && n.parent; n = n.parent) names.push(n.name);
  return names.reverse();
}

export function findPath(root, names) {
  let node = root;
  for (const name of names) {
    const child = node.children.find((c) => c.name === name);
    if (!child) return node;
    node = child;
  }
  return node;
}

export function eachNode(root, visit) {
  const stack = [root];
  while (stack.length) {
    const node = stack.pop();
    if (visit(node) === false) continue;  // false: skip its subtree
    for (const child of node.children) stack.push(child);
  }
}

// Samples with a matching frame anywhere in their stack (a match below a
// match counts once), for "search: N% of the samples".
export function searchTotal(root, regex) {
  let total = 0;
  eachNode(root, (node) => {
    if (node.parent && node.kind !== 'process' && regex.test(node.name)) {
      total += node.total;
      return false;
    }
    return true;
  });
  return total;
}

// The outermost frames of `name` on each path (recursion counts once).
function outermost(root, name) {
  const found = [];
  eachNode(root, (node) => {
    if (node.parent && node.kind !== 'process' && node.name === name) {
      found.push(node);
      return false;
    }
    return true;
  });
  return found;
}

function mergeChild(parent, like, total, self) {
  let child = parent.children.find((c) => c.name === like.name && c.kind === like.kind);
  if (!child) {
    child = { name: like.name, kind: like.kind, file: like.file, line: like.line,
      module: like.module, self: 0, total: 0, baseSelf: 0, baseTotal: 0, children: [], parent };
    parent.children.push(child);
  }
  child.total += total;
  child.self += self;
  return child;
}

function copyInto(target, node) {
  for (const child of node.children) copyInto(mergeChild(target, child, child.total, child.self), child);
}

// The sandwich of `name`: its callers as a tree growing from the function up
// to the process (an inverted graph), and its callees merged from every place
// it runs.
export function sandwich(root, name) {
  const places = outermost(root, name);
  const like = places[0] || { name, kind: '', file: '', line: 0, module: '' };
  const top = { name: 'all', kind: 'all', self: 0, total: 0, children: [], parent: null };
  const callers = mergeChild(top, like, 0, 0);
  const calleesTop = { name: 'all', kind: 'all', self: 0, total: 0, children: [], parent: null };
  const callees = mergeChild(calleesTop, like, 0, 0);
  for (const place of places) {
    top.total += place.total;
    callers.total += place.total;
    let at = callers;
    for (let n = place.parent; n && n.parent; n = n.parent) at = mergeChild(at, n, place.total, 0);
    calleesTop.total += place.total;
    callees.total += place.total;
    callees.self += place.self;
    copyInto(callees, place);
  }
  return { callers: top, callees: calleesTop, places: places.length };
}
