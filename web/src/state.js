// The whole view lives in the URL's query string, so a copied link
// reproduces it: target, range, mode, orientation, search, zoom, focus,
// baseline (range and target) and the sandwich's function.
const DEFAULTS = {
  t: '',        // target "param:value", e.g. "service:api", "pid:4242"; '' = everything
  from: '-1h',  // ember report's time texts, or epoch seconds after a drag
  to: '',
  mode: 'flame',  // flame | top | sandwich | compare
  up: '',       // '1': flame (root at the bottom) instead of icicle
  native: '',   // '1': every native frame instead of the runtime view
  q: '',        // search regex
  zoom: '',     // JSON array of frame names from the root to the zoomed node
  focus: '',    // one function's subtree (top functions table click)
  fn: '',       // the sandwich's function
  bfrom: '',    // compare mode's baseline range
  bto: '',
  bt: '',       // compare mode's baseline target, as t; '' = the same as t
};

export function readState(search = location.search) {
  const params = new URLSearchParams(search);
  const state = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS)) {
    if (params.has(key)) state[key] = params.get(key);
  }
  return state;
}

export function stateQuery(state) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(state)) {
    if (key in DEFAULTS && value !== DEFAULTS[key]) params.set(key, value);
  }
  // from's default is '-1h': an explicit empty from ("all") must stay in the link.
  if (state.from === '' && DEFAULTS.from !== '') params.set('from', '');
  return params.toString();
}

export function writeState(state) {
  const query = stateQuery(state);
  const url = location.pathname + (query ? '?' + query : '');
  if (url !== location.pathname + location.search) history.pushState(null, '', url);
}

export function zoomPath(state) {
  if (!state.zoom) return [];
  try {
    const path = JSON.parse(state.zoom);
    return Array.isArray(path) ? path.map(String) : [];
  } catch {
    return [];
  }
}
