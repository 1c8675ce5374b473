// One group: its log check, decisions (with their discussion and, in the proposal phase,
// proposing), starting one, applications, members and charter.

import * as api from './api.js';
import { h, append, field, form, section, showErrors, errorLine, timeEl, uid } from './dom.js';
import { checkLog } from './logcheck.js';
import { decisionItem, personName } from './decisions.js';
import { startSection, proposePanel, ruleLine, methodLine } from './start-decision.js';
import { discussion } from './discussion.js';
import { exponentOf } from './books-forms.js';

export async function groupView(root, ctx, gid) {
  const title = h('h1', { tabindex: '-1' }, 'Group');
  const loading = h('p', { class: 'loading' }, 'Loading the group…');
  append(root, title, loading);
  root.setAttribute('aria-busy', 'true');
  ctx.setTitle('Group');
  // The log is checked alongside, so a rewritten history is flagged however the rest goes.
  const logSection = logPanel(gid);
  const [group, members, charter, applications] = await Promise.all(
    [api.getGroup(gid), api.members(gid), api.charter(gid), api.applications(gid)]);
  loading.remove();
  root.removeAttribute('aria-busy');
  if (!group.ok) {
    title.textContent = group.status === 404 ? 'Group not found' : 'The group could not be shown';
    ctx.setTitle(title.textContent);
    append(root, errorLine(group.error), h('p', {}, h('a', { href: '#/' }, 'Back to your groups')));
    return;
  }
  const G = group.data;
  title.textContent = G.name;
  ctx.setTitle(G.name);

  const c = charter.ok ? charter.data.charter : {};
  const currency = (c.accounting || {}).currency || 'EUR';
  const g = {
    gid,
    names: new Map(),
    charter: c,
    types: c.decision_types || {},
    methods: charter.ok ? charter.data.methods || {} : {},
    currency,
    exponent: exponentOf(currency),
    members: members.ok ? members.data.members : [],
    pending: applications.ok ? applications.data.applications.filter((a) => a.status === 'pending').map((a) => a.person) : [],
    myRoles: [],
    kept: new Map(), // proposal editors by decision, kept across reloads of the list
  };
  if (members.ok) {
    for (const m of members.data.members) g.names.set(m.id, m.name);
    g.myRoles = (members.data.members.find((m) => m.id === ctx.person.id) || { roles: [] }).roles;
  }
  if (applications.ok) for (const a of applications.data.applications) if (!g.names.has(a.person.id)) g.names.set(a.person.id, a.person.name);

  const decisions = decisionsSection(ctx, g);
  append(root,
    h('p', { class: 'meta' }, `Charter version ${G.charter_version} · ${G.members} member${G.members === 1 ? '' : 's'} · founded `, timeEl(G.created_at)),
    h('p', { class: 'group-links' }, h('a', { href: `#/groups/${gid}/books`, 'data-test': 'books-link' }, 'Books')),
    logSection,
    decisions,
    startSection(g, () => decisions.reload()),
    applicationsSection(g, applications, decisions),
    membersSection(members),
    charterSection(charter),
    shareField(gid));
}

function logPanel(gid) {
  return section({ title: 'Log', test: 'log' }, async () => {
    const r = await checkLog(gid);
    switch (r.state) {
      case 'error': return errorLine(r.error);
      case 'rewritten': return h('div', { class: 'alarm', role: 'alert', 'data-test': 'log-warning' },
        h('p', {}, h('strong', {}, `The group's log was rewritten: the entry #${r.known.seq} you saw earlier is no longer there.`)),
        h('p', {}, `This device saw entry #${r.known.seq} with hash `, h('code', {}, r.known.head),
          '. The server no longer has it: the group\'s history was changed after the fact. '
          + 'Tell the other members, and keep this device\'s record.'));
      case 'broken': return h('div', { class: 'alarm', role: 'alert', 'data-test': 'log-warning' },
        h('p', {}, h('strong', {}, `The group's log does not check out: ${r.why}.`)),
        h('p', {}, 'The server sent a log that is not an unbroken chain of entries. Tell the other members.'));
      default: return h('div', { 'data-test': 'log-ok' },
        h('p', {}, `${r.seq} entr${r.seq === 1 ? 'y' : 'ies'} · head `, h('code', { title: r.head }, `${r.head.slice(0, 16)}…`)),
        h('p', { class: 'meta' }, r.state === 'first'
          ? 'This device remembers this head from now on, and will warn if the log is ever rewritten.'
          : r.seq > r.known.seq ? `It extends what this device saw before (entry #${r.known.seq}).`
            : 'It is as this device saw it before.',
        r.hashed ? '' : ' Entry hashes were not recomputed: this page is not in a secure context.'));
    }
  });
}

function decisionsSection(ctx, g) {
  const needing = new Set();
  const needsLine = h('p', { class: 'needs-summary', role: 'status', 'data-test': 'needs-vote-count' });
  let timers = [];
  g.needs = (id, yes) => {
    if (yes) needing.add(id); else needing.delete(id);
    needsLine.textContent = needing.size ? `${needing.size} decision${needing.size === 1 ? ' needs' : 's need'} your vote.` : '';
  };
  // Look again when a phase opens or closes (after the database's clock has passed it).
  g.at = (iso, fn) => {
    const ms = Date.parse(iso) - Date.now();
    if (!(ms < 86400000)) return;
    const t = setTimeout(fn, ms > 0 ? ms + 1500 : 5000);
    timers.push(t);
  };
  const clearTimers = () => { timers.forEach(clearTimeout); timers = []; };
  ctx.onCleanup(clearTimers);
  const s = section({ title: 'Decisions', test: 'decisions' }, async () => {
    clearTimers();
    needing.clear();
    g.needs(null, false);
    const r = await api.decisions(g.gid);
    if (!r.ok) return errorLine(r.error);
    if (!r.data.decisions.length) return h('p', {}, 'No decisions yet.');
    return h('ol', { class: 'cards' }, r.data.decisions.map((d) => append(decisionItem(d, g), proposePanel(d, g), discussion(d, g))));
  });
  s.insertBefore(needsLine, s.querySelector('.section-body'));
  s.append(h('button', { type: 'button', class: 'secondary', 'data-test': 'decisions-refresh', onclick: () => s.reload() },
    'Refresh decisions'));
  return s;
}

function applicationsSection(g, applications, decisions) {
  return section({ title: 'Applications', test: 'applications' }, async () => {
    if (!applications.ok) return errorLine(applications.error);
    const pending = applications.data.applications.filter((a) => a.status === 'pending');
    const list = pending.length
      ? h('ul', { class: 'cards' }, pending.map((a) => h('li', { 'data-test': 'application', 'data-person': a.person.id },
        h('p', {}, h('strong', {}, a.person.name), ' applied ', timeEl(a.created_at), '.'),
        a.message ? h('blockquote', {}, a.message) : null)))
      : h('p', {}, 'No pending applications.');
    return [list, pending.length ? admitForm(g, pending, decisions) : null];
  });
}

// Start an admit_member decision for a pending applicant. The types offered are those
// whose effect is admit_member and which one of the person's roles may start.
function admitForm(g, pending, decisions) {
  const types = Object.entries(g.types)
    .filter(([, t]) => t.effect === 'admit_member' && (t.start || []).some((r) => g.myRoles.includes(r)))
    .map(([name]) => name);
  if (!types.length) return h('p', {}, 'None of your roles may start a decision to admit someone.');
  const applicant = field({
    label: 'Applicant', name: 'person', control: 'select', test: 'admit-applicant',
    options: pending.map((a) => ({ value: a.person.id, label: a.person.name })),
  });
  const type = field({
    label: 'Decision type', name: 'type', control: 'select', test: 'admit-type',
    options: types.map((t) => ({ value: t, label: t })),
  });
  const title = field({ label: 'Title', name: 'title', test: 'admit-title', required: true, maxlength: 200 });
  // The title follows the applicant until the person writes their own.
  const suggest = () => `Admit ${personName(g, applicant.input.value)}`;
  title.input.value = suggest();
  let edited = false;
  title.input.addEventListener('input', () => { edited = true; });
  applicant.input.addEventListener('change', () => { if (!edited) title.input.value = suggest(); });
  const done = h('p', { role: 'status', class: 'progress', 'data-test': 'admit-done' });
  const headingId = uid('admit');
  return h('div', { class: 'subsection', 'aria-labelledby': headingId, role: 'group' },
    h('h3', { id: headingId }, 'Start a decision to admit an applicant'),
    h('p', { class: 'hint' }, 'The members who hold the type\'s voting roles vote on it once its proposal phase is over.'),
    form({
      label: 'Start a decision to admit an applicant', test: 'admit-form',
      onSubmit: async (f) => {
        done.textContent = '';
        const body = {
          type: type.input.value, title: title.input.value.trim(),
          proposals: [{ person: applicant.input.value }],
        };
        if (!body.title) return showErrors(f, { detail: 'Please give the decision a title.', pointer: '/title' });
        const r = await api.startDecision(g.gid, body);
        if (!r.ok) {
          showErrors(f, r.error, { person: 'person', proposals: 'person' });
          if (r.status === 0) {
            f.formError.textContent = 'The connection failed before the server answered, so the decision may or may not '
              + 'have been started. Check the decisions above before trying again.';
            decisions.reload();
          }
          return;
        }
        done.replaceChildren('Decision started. Voting opens ', timeEl(r.data.voting_phase.opens_at), '.');
        edited = false;
        title.input.value = suggest();
        decisions.reload();
      },
    }, applicant.wrap, types.length > 1 ? type.wrap : hiddenField(type), title.wrap,
    h('button', { type: 'submit', 'data-test': 'admit-submit', 'data-busy': 'Starting…' }, 'Start the decision'), done));
}

// One type only: keep the control (its value is sent) but do not ask.
function hiddenField(f) { f.wrap.hidden = true; return f.wrap; }

function membersSection(members) {
  return section({ title: 'Members', test: 'members' }, async () => {
    if (!members.ok) return errorLine(members.error);
    return h('ul', { class: 'cards' }, members.data.members.map((m) => h('li', { 'data-test': 'member', 'data-person': m.id },
      h('strong', {}, m.name),
      h('p', { class: 'meta' }, m.roles.length ? m.roles.join(', ') : 'no roles', ' · joined ', timeEl(m.joined_at)))));
  });
}

function charterSection(charter) {
  return section({ title: 'Charter', test: 'charter' }, async () => {
    if (!charter.ok) return errorLine(charter.error);
    const { version, charter: c, methods } = charter.data;
    const roles = Object.entries(c.roles || {}).map(([name, r]) =>
      `${name}${r.permissions && r.permissions.length ? ` (${r.permissions.join(', ').replaceAll('_', ' ')})` : ''}`);
    return [
      h('p', {}, `Version ${version}${charter.data.adopted_by ? ', adopted by decision' : ', the founding charter'}. `,
        `Roles: ${roles.join('; ') || 'none'}.`),
      h('p', { class: 'meta' }, `Admitted members get ${(c.member_roles || []).join(', ') || 'no role'}.`),
      h('h3', {}, 'Decision types'),
      h('ul', { class: 'cards' }, Object.entries(c.decision_types || {}).map(([name, t]) => h('li', { 'data-test': 'charter-type', 'data-type': name },
        h('strong', {}, name), t.effect !== name ? ` (${t.effect.replaceAll('_', ' ')})` : '',
        h('p', { 'data-test': 'method-rule' }, methodLine(methods[name])),
        h('p', { class: 'meta', 'data-test': 'type-rule' }, ruleLine(t))))),
    ];
  });
}

function shareField(gid) {
  const f = field({ label: 'Group id', name: 'gid', test: 'group-id', readonly: true, value: gid,
    hint: 'Give it to people who want to join: they apply with it.' });
  f.input.addEventListener('focus', () => f.input.select());
  return h('section', { 'aria-labelledby': 'share-h' }, h('h2', { id: 'share-h' }, 'Invite'), f.wrap);
}
