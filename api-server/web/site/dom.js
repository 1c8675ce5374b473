// Small DOM helpers. Text from the server (names, titles, details) only ever goes in as
// text nodes, never as markup.

let nextId = 0;
export const uid = (prefix = 'f') => `${prefix}-${++nextId}`;

// h('button', {type: 'button', 'data-test': 'x', onclick: fn}, 'Label', child, ...)
// Props starting with "on" are listeners; `false`/null props and children are skipped.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  return append(el, ...children);
}

// Like el.append, but skips null/false/undefined and flattens arrays.
export function append(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Like el.replaceChildren, with append's skipping of empty children.
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, ...children);
}

// A labelled control with a hint and an error line both tied to it by aria-describedby.
// Returns {wrap, input, error}. `control` is 'input', 'textarea' or 'select'.
export function field({ label, name, control = 'input', hint, test, options, ...attrs }) {
  const id = uid(name);
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const input = h(control, {
    id, name, 'data-test': test,
    'aria-describedby': [hintId, errorId].filter(Boolean).join(' '),
    ...(control === 'input' && !attrs.type ? { type: 'text' } : {}),
    ...attrs,
  });
  for (const o of options || []) input.append(h('option', { value: o.value }, o.label));
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });
  const wrap = h('div', { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('p', { id: hintId, class: 'hint' }, hint) : null,
    input, error);
  return { wrap, input, error };
}

// A form that is submitted by script only (the page's CSP has form-action 'none'), with a
// form-level error line. onSubmit(form) runs once at a time; values stay as typed.
export function form({ label, test, onSubmit }, ...children) {
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const el = h('form', { 'aria-label': label, 'data-test': test, novalidate: true }, ...children, error);
  let busy = false;
  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    el.setAttribute('aria-busy', 'true');
    const buttons = [...el.querySelectorAll('button[type=submit]')];
    const labels = buttons.map((b) => b.textContent);
    buttons.forEach((b) => { b.setAttribute('aria-disabled', 'true'); if (b.dataset.busy) b.textContent = b.dataset.busy; });
    try {
      await onSubmit(el);
    } catch (e) {
      showErrors(el, { detail: `Something went wrong on this page: ${e.message || e}` });
    } finally {
      busy = false;
      el.removeAttribute('aria-busy');
      buttons.forEach((b, i) => { b.removeAttribute('aria-disabled'); b.textContent = labels[i]; });
    }
  });
  el.formError = error;
  return el;
}

export function clearErrors(formEl) {
  for (const p of formEl.querySelectorAll('.field-error')) { p.textContent = ''; p.hidden = true; }
  for (const c of formEl.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
  formEl.formError.textContent = '';
  formEl.formError.hidden = true;
}

// An API error next to the control named (by its name) in invalid_params or by the JSON
// pointer or its last or first name-like segment; else on the form's own error line.
export function showErrors(formEl, error, fieldFor = {}) {
  clearErrors(formEl);
  const placed = [];
  const target = (name) => name && formEl.querySelector(`[name="${CSS.escape(fieldFor[name] || name)}"]`);
  for (const p of error.invalid_params || []) {
    const c = target(p.name);
    if (c) { mark(c, p.reason); placed.push(c); }
  }
  if (!placed.length && error.pointer) {
    const parts = error.pointer.split('/').filter((s) => s && !/^\d+$/.test(s));
    const c = target(error.pointer) || target(parts[parts.length - 1]) || target(parts[0]);
    if (c) { mark(c, error.detail); placed.push(c); }
  }
  if (placed.length) {
    // Focus reads the field's label and, through aria-describedby, its error.
    placed[0].focus();
    if (placed.length === 1) return;
    formEl.formError.textContent = 'Please correct the fields marked above.';
  } else {
    formEl.formError.textContent = error.detail;
  }
  formEl.formError.hidden = false;
}

function mark(control, text) {
  control.setAttribute('aria-invalid', 'true');
  const errorId = (control.getAttribute('aria-describedby') || '').split(' ').find((i) => i.endsWith('-error'));
  const p = errorId && document.getElementById(errorId);
  if (p) { p.textContent = text; p.hidden = false; }
}

// A section showing "Loading…" (aria-busy) until load() gives its content; reload() again.
export function section({ title, test, level = 'h2' }, load) {
  const body = h('div', { class: 'section-body', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading…'));
  const headingId = uid('sec');
  const el = h('section', { 'aria-labelledby': headingId, 'data-test': test },
    h(level, { id: headingId }, title), body);
  el.reload = async () => {
    body.setAttribute('aria-busy', 'true');
    try {
      const content = await load();
      body.replaceChildren(...[content].flat().filter(Boolean));
    } catch (e) {
      body.replaceChildren(errorLine({ detail: `This part could not be shown: ${e.message || e}` }));
    } finally {
      body.removeAttribute('aria-busy');
    }
  };
  el.reload();
  return el;
}

// A section named by its h2, whose id is given.
export const titled = (id, title, ...children) =>
  h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...children);

export const errorLine = (error) => h('p', { class: 'error', role: 'alert' }, error.detail);

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const formatTime = (iso) => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? String(iso) : when.format(new Date(t));
};
export const timeEl = (iso) => h('time', { datetime: iso }, formatTime(iso));

export function formatSeconds(s) {
  const units = [['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];
  for (const [name, size] of units) {
    if (s >= size && s % size === 0) return `${s / size} ${name}${s / size === 1 ? '' : 's'}`;
  }
  return `${s} seconds`;
}

export const isUuid = (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s);

// Standard base64 of a string's UTF-8 bytes, and back (ballots and proposals are bytes).
export function toBase64(text) {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}
export function fromBase64(b64) {
  const bin = atob(b64);
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}
