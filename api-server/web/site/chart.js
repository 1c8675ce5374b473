// A horizontal bar chart as inline SVG, built node by node (the CSP forbids markup from
// strings and inline styles). rows: [{label, text, adopted, value | segments: [{value, cls}]}]
// The viewBox is about a phone's column wide, so text stays legible.

const NS = 'http://www.w3.org/2000/svg';
const W = 320;
const LABEL_CHARS = 40;

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

const short = (s) => (s.length > LABEL_CHARS ? `${s.slice(0, LABEL_CHARS - 1)}…` : s);
export const rowTotal = (row) => (row.segments ? row.segments.reduce((a, s) => a + s.value, 0) : row.value);

let charts = 0;

export function barChart({ title, rows }) {
  const id = `chart-${++charts}`;
  const max = Math.max(1, ...rows.map(rowTotal));
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${rows.length * 62 + 4}`, role: 'img',
    'aria-labelledby': `${id}-t ${id}-d`, 'data-test': 'result-chart' });
  root.append(svg('title', { id: `${id}-t` }, title),
    svg('desc', { id: `${id}-d` }, rows.map((r) => `${r.label}: ${r.text}${r.adopted ? ', adopted' : ''}.`).join(' ')));
  rows.forEach((r, i) => {
    const y = i * 62 + 2;
    const g = svg('g', { class: r.adopted ? 'row adopted' : 'row', 'data-test': 'chart-row' });
    g.append(svg('text', { x: 0, y: y + 15, class: 'label' }, short(`${r.adopted ? '✓ ' : ''}${r.label}`)),
      svg('rect', { x: 0, y: y + 20, width: W, height: 18, class: 'track' }));
    let x = 0;
    for (const s of r.segments || [{ value: r.value, cls: 'bar' }]) {
      const w = (s.value / max) * W;
      if (w > 0) g.append(svg('rect', { x, y: y + 20, width: w, height: 18, class: s.cls }));
      x += w;
    }
    g.append(svg('text', { x: 0, y: y + 54, class: 'figures' }, r.text));
    root.append(g);
  });
  return root;
}
