// Builds DOM nodes from data without ever parsing it as HTML: text goes in as text nodes.

// h('button', {type: 'button', onclick: fn}, 'Save') -> <button type="button">Save</button>
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      element.className = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function clear(element) {
  while (element.firstChild) element.firstChild.remove();
  return element;
}

// "2026-12-02T10:00:00.000Z" -> the reader's local date and time; the raw text as title.
export function time(iso) {
  if (!iso) return h('span', {}, '—');
  const date = new Date(iso);
  const shown = Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
  return h('time', { datetime: iso, title: iso }, shown);
}

export function announce(text) {
  const announcer = /** @type {HTMLElement} */ (document.getElementById('announcer'));
  announcer.textContent = '';
  // A change the screen reader hears even when the same words come twice.
  requestAnimationFrame(() => { announcer.textContent = text; });
}

// A JSON text shown indented when it parses, as it is otherwise.
export function prettyJson(value) {
  if (typeof value !== 'string') return JSON.stringify(value, null, 2);
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}
