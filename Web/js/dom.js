// Elements built from data, never from HTML strings: text is always textContent, so whatever
// an agency or a terminal typed is shown as text and never run.

/** h('div', {class: 'card', onclick: f}, child, 'text', [more]) */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name === 'value' || name === 'checked' || name === 'disabled' || name === 'selected') element[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces what `element` shows. */
export function show(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A table from rows: columns are [heading, row => cell content]. */
export function table(columns, rows, { empty = '—', rowAttributes } = {}) {
  return h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, columns.map(([heading]) => h('th', {}, heading)))),
    h('tbody', {}, rows.length === 0
      ? h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, empty))
      : rows.map(row => h('tr', rowAttributes ? rowAttributes(row) : {}, columns.map(([, cell]) => h('td', {}, cell(row)))))));
}

/** Fen as yuan with two decimals: integers all the way, never a float's rounding. */
export function yuan(fen) {
  if (fen === null || fen === undefined) return '—';
  const negative = fen < 0;
  const abs = Math.abs(fen);
  return `${negative ? '-' : ''}¥${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
