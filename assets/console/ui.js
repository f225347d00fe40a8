// Building the page from data without innerHTML: every value the service returns is set as text,
// so nothing a user typed can become markup.

import { fieldName, problemText, t, word } from './i18n.js';

/** An element: h('button', {class: 'x', onclick: fn}, 'text', child, [more]). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'value') el.value = value;
    else if (name === 'checked') el.checked = Boolean(value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let ids = 0;
export const uid = (prefix = 'f') => `${prefix}-${++ids}`;

/** A labelled control: the label names the control for screen readers. */
export function field(label, control, hint) {
  const id = control.id || uid();
  control.id = id;
  const hintEl = hint ? h('small', { id: `${id}-hint`, class: 'hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

export function select(options, value, attrs = {}) {
  return h(
    'select',
    attrs,
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
  );
}

export function badge(group, value) {
  return h('span', { class: `badge ${group}-${value}` }, word(group, value));
}

/**
 * A table with a caption; `rows` are arrays of cells, or {cells, attrs} objects. With
 * `quietCaption` the caption is for screen readers only (a heading above already says it).
 */
export function table(caption, headers, rows, attrs = {}, quietCaption = false) {
  return h(
    'table',
    attrs,
    h('caption', { class: quietCaption ? 'sr-only' : null }, caption),
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h(
      'tbody',
      {},
      rows.length
        ? rows.map((row) => {
            const cells = Array.isArray(row) ? row : row.cells;
            return h('tr', Array.isArray(row) ? {} : row.attrs || {}, cells.map((c) => h('td', {}, c)));
          })
        : h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, t('common.none'))),
    ),
  );
}

/** A message area that screen readers announce. */
export function messageArea() {
  const el = h('div', { class: 'message', role: 'status', 'aria-live': 'polite' });
  return {
    el,
    ok(text) {
      el.className = 'message ok';
      el.textContent = text;
    },
    error(problemOrText) {
      el.className = 'message error';
      el.setAttribute('role', 'alert');
      el.textContent = typeof problemOrText === 'string' ? problemOrText : problemText(problemOrText);
      if (problemOrText?.errors?.length) {
        el.append(
          h(
            'ul',
            {},
            problemOrText.errors.map((e) =>
              h('li', {}, [e.row ? `${t('common.row')} ${e.row}` : null, fieldName(e.field), e.message].filter(Boolean).join(' · ')),
            ),
          ),
        );
      }
    },
    clear() {
      el.className = 'message';
      el.textContent = '';
    },
  };
}

/** Runs an action from a button, disabling it meanwhile, and reports the outcome. */
export async function act(button, message, fn, okText) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  message.clear();
  try {
    const result = await fn();
    if (okText) message.ok(okText);
    return result;
  } catch (e) {
    message.error(e);
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

export function section(title, ...children) {
  const id = uid('s');
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

/**
 * Draws one card per item, keyed by `item.id`: a card already drawn for an item of the same
 * `shape` is kept as it is, with whatever the user ticked or typed in it; new or changed items
 * are drawn anew. The DOM is touched only when the cards or their order change.
 */
export function keepOrDraw(container, items, shape, draw) {
  const drawn = new Map([...container.children].filter((el) => el.dataset.key).map((el) => [el.dataset.key, el]));
  const cards = items.map((item) => {
    const card = drawn.get(item.id);
    if (card && card.dataset.shape === shape(item)) return card;
    const fresh = draw(item);
    fresh.dataset.key = item.id;
    fresh.dataset.shape = shape(item);
    return fresh;
  });
  const same = cards.length === container.children.length && cards.every((c, i) => container.children[i] === c);
  if (!same) container.replaceChildren(...cards);
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}
