// The page's entry point: a hash router (#/, #/account, #/groups/<gid>, #/groups/<gid>/books),
// the header, and the non-blocking "retrying" banner.

import * as api from './api.js';
import * as store from './store.js';
import { h } from './dom.js';
import { welcomeView, accountView } from './view-account.js';
import { homeView } from './view-home.js';
import { groupView } from './view-group.js';
import { booksView } from './view-books.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const notice = document.getElementById('notice');

let cleanups = [];
let renders = 0;

api.notices.addEventListener('notice', (e) => { notice.textContent = e.detail || ''; });

// Navigates, or renders again when already there (an unchanged hash fires nothing).
function go(hash) {
  if ((location.hash || '#/') === hash) render();
  else location.hash = hash;
}

function header(person, hash) {
  nav.hidden = !person || !person.authorization_token;
  if (nav.hidden) return nav.replaceChildren();
  const link = (href, text, test) => h('a', {
    href, 'data-test': test, 'aria-current': hash === href || (href === '#/' && hash.startsWith('#/groups/')) ? 'page' : null,
  }, text);
  nav.replaceChildren(
    link('#/', 'Groups', 'nav-home'),
    link('#/account', [person.name, person.backed_up_at ? '' : h('span', { class: 'dot', title: 'No backup yet' }, ' (no backup!)')], 'nav-account'));
}

async function render({ focus = true } = {}) {
  const mine = ++renders;
  cleanups.forEach((f) => f());
  cleanups = [];
  const hash = location.hash || '#/';
  const root = h('div', { class: 'view' });
  let person;
  try {
    person = await store.currentPerson();
  } catch (e) {
    main.replaceChildren(h('h1', {}, 'This browser does not let the page keep data'),
      h('p', { role: 'alert' }, `FreeCoop keeps your key on this device, and could not: ${e.message || e}. `
        + 'A private window may forbid it; try a normal window.'));
    return;
  }
  if (mine !== renders) return;
  api.usePerson(person);
  header(person, hash);
  main.replaceChildren(root);
  const ctx = {
    person, go,
    rerender: () => render(),
    onCleanup: (f) => cleanups.push(f),
    setTitle: (t) => { if (mine === renders) document.title = `${t} — FreeCoop`; },
    // After the stored person changed (e.g. a backup was made): the header shows it.
    refreshPerson: async () => {
      const p = await store.getPerson(person.id);
      if (p && mine === renders) { ctx.person = p; api.usePerson(p); header(p, hash); }
    },
  };
  const group = hash.match(/^#\/groups\/([0-9a-f-]{36})(\/books)?$/);
  try {
    if (!person || !person.authorization_token) await welcomeView(root, ctx);
    else if (hash === '#/') await homeView(root, ctx);
    else if (hash === '#/account') await accountView(root, ctx);
    else if (group) await (group[2] ? booksView : groupView)(root, ctx, group[1]);
    else {
      ctx.setTitle('Not found');
      root.append(h('h1', { tabindex: '-1' }, 'There is no such page'), h('p', {}, h('a', { href: '#/' }, 'Go to your groups')));
    }
  } catch (e) {
    root.append(h('p', { class: 'error', role: 'alert' }, `This page could not be shown: ${e.message || e}`));
  }
  // Focus the new page's heading: keyboard and screen reader users start there.
  if (focus && mine === renders) {
    const h1 = root.querySelector('h1');
    if (h1) h1.focus();
  }
}

window.addEventListener('hashchange', () => render());
render({ focus: false });
