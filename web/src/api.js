// The JSON API (docs/api.md), relative to the page so the UI works behind a
// path prefix. Errors carry the API's message.
export class ApiError extends Error {}

// The selection's parameters: range and target.
export function selection(state, range = { from: state.from, to: state.to }) {
  const params = new URLSearchParams();
  if (range.from) params.set('from', range.from);
  if (range.to) params.set('to', range.to);
  const target = targetParam(state.t);
  if (target) params.set(target[0], target[1]);
  return params;
}

// A target "param:value" as [param, value], or null for everything.
export function targetParam(target) {
  const colon = target ? target.indexOf(':') : -1;
  return colon > 0 ? [target.slice(0, colon), target.slice(colon + 1)] : null;
}

// The profile endpoints' parameters: the selection and the view (runtime,
// as ember report shows it, or every native frame).
export function profileParams(state) {
  const params = selection(state);
  if (state.native === '1') params.set('view', 'native');
  return params;
}

export function apiUrl(endpoint, params) {
  const query = params.toString();
  return `api/v1/${endpoint}${query ? '?' + query : ''}`;
}

export async function getJson(endpoint, params, signal) {
  const response = await fetch(apiUrl(endpoint, params), { signal });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`${endpoint}: ${response.status} ${response.statusText}`);
  }
  if (!response.ok) throw new ApiError(body.error ? body.error.message : response.statusText);
  return body;
}
