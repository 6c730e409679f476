// Builds DOM nodes. Text always goes in as text nodes, never as HTML: request previews,
// reasons and policy text come from users.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) {
      append(element, child);
    } else if (child instanceof Node) {
      element.appendChild(child);
    } else {
      element.appendChild(document.createTextNode(String(child)));
    }
  }
}

export function clear(element) {
  while (element.firstChild) element.removeChild(element.firstChild);
  return element;
}

/** A definition list from [label, value] pairs; empty values are left out. */
export function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs
      .filter(([, value]) => value !== null && value !== undefined && value !== '')
      .map(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]),
  );
}

export function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace('.000Z', 'Z');
}

/** An API error as the gateway shapes it: message and error_code. */
export function errorBox(error) {
  if (!error) return h('p', { class: 'error', role: 'alert' });
  const code = error.code ? ` (${error.status} ${error.code})` : error.status ? ` (${error.status})` : '';
  return h('p', { class: 'error', role: 'alert' }, `${error.message}${code}`);
}
