// Signing up, the backup file and restoring from it, and the people on this device.

import * as api from './api.js';
import * as store from './store.js';
import { h, append, field, form, showErrors, titled, uid, isUuid } from './dom.js';

const TOKEN_RE = /^aut_[A-Za-z0-9_-]{43}$/;

// The account is stored before it is claimed, and the token the moment it arrives: a
// reload in between loses nothing that can still be had.
async function signUp(name, say) {
  say('Creating your account…');
  const r = await api.signUp(name);
  if (!r.ok) return r;
  const record = { id: r.data.id, name: r.data.name || name };
  await store.putPerson(record);
  await store.setCurrent(record.id);
  // From here on a failure leaves a stored sign-up that the welcome page can finish.
  return { ...(await claim(record, say)), created: true };
}

async function claim(record, say) {
  say('Claiming your authorization token…');
  const c = await api.claim(record.id);
  if (!c.ok) {
    if (c.error.slug === 'already-claimed') {
      await store.updatePerson(record.id, { claim_lost: true });
      c.error.detail = 'This account\'s authorization token was already issued, but it never reached '
        + 'this device, so the account cannot be used. Please sign up again.';
    }
    return c;
  }
  const person = await store.updatePerson(record.id, { authorization_token: c.data.authorization_token });
  api.usePerson(person);
  say('Getting an access token…');
  // A failure here is not fatal: the token is stored, and the next call renews.
  await api.renewAccess();
  return { ok: true };
}

function signUpForm(ctx) {
  const name = field({
    label: 'Your name', name: 'name', test: 'signup-name', autocomplete: 'name', required: true,
    maxlength: 200, hint: 'As the members of your groups will see it.',
  });
  const progress = h('p', { class: 'progress', role: 'status' });
  const say = (text) => { progress.textContent = text; };
  return form({
    label: 'Sign up', test: 'signup-form',
    onSubmit: async (f) => {
      const value = name.input.value.trim();
      if (!value) return showErrors(f, { detail: 'Please enter your name.', pointer: '/name' });
      const r = await signUp(value, say);
      say('');
      if (!r.ok && !r.created) return showErrors(f, r.error);
      // Signed up, or its token did not arrive: the welcome page offers to finish (or says
      // why it cannot).
      ctx.go('#/');
    },
  }, name.wrap, h('button', { type: 'submit', 'data-test': 'signup-submit', 'data-busy': 'Signing up…' }, 'Sign up'), progress);
}

function fileName(person) {
  const safe = (person.name || '').normalize('NFC').replace(/[^\p{L}\p{N}_-]+/gu, '-').replace(/^-+|-+$/g, '');
  return `freecoop-backup-${safe || person.id.slice(0, 8)}.json`;
}

function downloadBackup(person) {
  const doc = {
    freecoop_backup: 1,
    server: location.origin,
    saved_at: new Date().toISOString(),
    person: { id: person.id, name: person.name },
    authorization_token: person.authorization_token,
  };
  const url = URL.createObjectURL(new Blob([`${JSON.stringify(doc, null, 2)}\n`], { type: 'application/json' }));
  const a = h('a', { href: url, download: fileName(person), hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // Give the browser time to start the download before the URL goes away.
  setTimeout(() => URL.revokeObjectURL(url), 30000);
  return fileName(person);
}

// The loud warning with the download button; shown on the home page until a backup exists.
export function backupPanel(person, ctx) {
  const done = h('p', { role: 'status', class: 'progress' });
  const titleId = uid('backup');
  return h('section', { class: 'warning', 'aria-labelledby': titleId, 'data-test': 'backup-panel' },
    h('h2', { id: titleId }, 'Keep a backup of your key'),
    h('p', {}, 'Your authorization token is the only key to your account. It is kept on this device '
      + 'and nowhere else: ', h('strong', {}, 'if it is lost, it cannot be recovered'),
      ' — not by the server, not by your groups.'),
    h('p', {}, 'Download a backup file and keep it somewhere safe, away from this device. It also '
      + 'lets you use FreeCoop on another device. Anyone who has the file can act as you.'),
    h('button', {
      type: 'button', 'data-test': 'backup-download',
      onclick: async () => {
        const name = downloadBackup(person);
        await store.updatePerson(person.id, { backed_up_at: new Date().toISOString() });
        done.textContent = `Saved ${name}. Keep it safe, and off this device too.`;
        ctx.refreshPerson();
      },
    }, 'Download a backup file'),
    done);
}

async function restore(text) {
  let doc;
  try { doc = JSON.parse(text); } catch { doc = null; }
  const token = doc && doc.authorization_token;
  if (!doc || typeof doc !== 'object' || !doc.person || !isUuid(doc.person.id) || !TOKEN_RE.test(token || '')) {
    return { ok: false, error: { detail: 'This is not a FreeCoop backup file: it should hold a person and an authorization token.' } };
  }
  const access = await api.accessToken(token);
  if (!access.ok) {
    if (access.status === 401) {
      access.error.detail = 'This server does not accept the authorization token in this file '
        + `(${access.error.detail}). Was it made for another FreeCoop server?`;
    }
    return access;
  }
  const candidate = {
    ...(await store.getPerson(doc.person.id)),
    id: doc.person.id, name: String(doc.person.name || ''), authorization_token: token,
    access_token: access.data.access_token, access_expires_at: access.data.expires_at, access_expires_local: null,
    backed_up_at: new Date().toISOString(), claim_lost: false,
  };
  // Ask the server whose token it is: the file's id and name are only what it says.
  const previous = api.currentPerson();
  api.usePerson(candidate);
  const me = await api.me();
  if (!me.ok) {
    api.usePerson(previous);
    if (me.error.slug === 'foreign-account') me.error.detail = 'This backup is of an account of another service, not of a FreeCoop person.';
    return me;
  }
  const person = { ...candidate, id: me.data.id, name: me.data.name };
  if (person.id !== doc.person.id) await store.deletePerson(doc.person.id).catch(() => {});
  await store.putPerson(person);
  await store.setCurrent(person.id);
  api.usePerson(person);
  return { ok: true, person };
}

function restoreForm(ctx) {
  const file = field({
    label: 'Restore from a backup file', name: 'backup', type: 'file', test: 'restore-file',
    accept: 'application/json,.json', hint: 'A freecoop-backup-….json file you downloaded earlier.',
  });
  const status = h('p', { role: 'status', class: 'progress' });
  const f = form({
    label: 'Restore from a backup file', test: 'restore-form',
    onSubmit: async () => {
      const chosen = file.input.files[0];
      if (!chosen) return showErrors(f, { detail: 'Choose a backup file first.', pointer: '/backup' });
      status.textContent = 'Checking the backup file…';
      const r = chosen.size > 65536
        ? { ok: false, error: { detail: 'This file is too large to be a FreeCoop backup file.' } }
        : await restore(await chosen.text());
      status.textContent = '';
      if (!r.ok) return showErrors(f, { ...r.error, pointer: '/backup' });
      ctx.go('#/');
    },
  }, file.wrap);
  // Choosing a file is the action; no second button to find.
  file.input.addEventListener('change', () => { if (file.input.files.length) f.requestSubmit(); });
  f.append(status);
  return f;
}

function peopleList(people, current, ctx) {
  if (!people.some((p) => !current || p.id !== current.id)) return null;
  return titled('people-h', 'People on this device',
    h('ul', { class: 'plain' }, people.map((p) => h('li', { class: 'row' },
      h('span', {}, p.name || p.id, p.authorization_token ? '' : ' (sign-up not finished)'),
      current && p.id === current.id
        ? h('span', { class: 'tag' }, 'in use')
        : h('button', {
          type: 'button', class: 'secondary', 'data-test': 'person-switch',
          onclick: async () => { await store.setCurrent(p.id); ctx.go('#/'); },
        }, `Use as ${p.name || 'this person'}`)))));
}

// No usable person yet: sign up, finish a sign-up, or restore.
export async function welcomeView(root, ctx) {
  const pending = ctx.person && !ctx.person.authorization_token ? ctx.person : null;
  ctx.setTitle('Welcome');
  append(root, h('h1', { tabindex: '-1' }, 'Welcome to FreeCoop'),
    h('p', { class: 'lead' }, 'Run your co-operative\'s democracy and books: groups, charters, decisions and secret ballots.'));
  if (pending) append(root, finishPanel(pending, ctx));
  append(root,
    titled('signup-h', 'Sign up',
      h('p', {}, 'You get a key (your authorization token) that stays on this device. You will be asked to save a backup of it.'),
      signUpForm(ctx)),
    titled('restore-h', 'Already signed up?', restoreForm(ctx)),
    peopleList(await store.allPeople(), ctx.person, ctx));
}

function finishPanel(pending, ctx) {
  if (pending.claim_lost) {
    return h('section', { class: 'warning', 'aria-labelledby': 'lost-h' },
      h('h2', { id: 'lost-h' }, `The sign-up of ${pending.name} cannot be finished`),
      h('p', {}, 'Its authorization token was issued but never reached this device. Sign up again below.'),
      h('button', {
        type: 'button', class: 'secondary',
        onclick: async () => {
          await store.deletePerson(pending.id);
          const other = (await store.allPeople()).find((p) => p.authorization_token);
          if (other) await store.setCurrent(other.id);
          ctx.go('#/');
        },
      }, 'Forget this sign-up'));
  }
  const progress = h('p', { class: 'progress', role: 'status' });
  return h('section', { class: 'warning', 'aria-labelledby': 'finish-h' },
    h('h2', { id: 'finish-h' }, `Finish signing up as ${pending.name}`),
    h('p', {}, 'Your account was created, but the connection failed before its authorization token reached this device.'),
    form({
      label: 'Finish signing up', test: 'signup-finish',
      onSubmit: async (f) => {
        const r = await claim(pending, (t) => { progress.textContent = t; });
        progress.textContent = '';
        if (!r.ok) return showErrors(f, r.error);
        ctx.go('#/');
      },
    }, h('button', { type: 'submit', 'data-busy': 'Finishing…' }, 'Finish signing up'), progress));
}

export async function accountView(root, ctx) {
  const p = ctx.person;
  ctx.setTitle('Account and backup');
  append(root,
    h('h1', { tabindex: '-1' }, 'Account and backup'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Name'), h('dd', { 'data-test': 'person-name' }, p.name),
      h('dt', {}, 'Account id'), h('dd', {}, h('code', {}, p.id)),
      h('dt', {}, 'Backup'), h('dd', {}, p.backed_up_at ? 'Downloaded on this device' : 'Not yet downloaded')),
    backupPanel(p, ctx),
    titled('restore-h', 'Restore or add a person',
      h('p', {}, 'Restoring a backup file makes its person the one this page acts as; the others stay on this device.'),
      restoreForm(ctx)),
    peopleList(await store.allPeople(), p, ctx),
    titled('another-h', 'Sign up another person', signUpForm(ctx)));
}
