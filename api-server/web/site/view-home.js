// Home: the person's groups, founding a group, and applying to one.

import * as api from './api.js';
import * as store from './store.js';
import { h, append, field, form, section, showErrors, errorLine, titled, isUuid } from './dom.js';
import { backupPanel } from './view-account.js';

export async function homeView(root, ctx) {
  const p = ctx.person;
  ctx.setTitle('Your groups');
  const groups = section({ title: 'Your groups', test: 'groups' }, async () => {
    const r = await api.me();
    if (!r.ok) return errorLine(r.error);
    if (!r.data.groups.length) {
      return h('p', { 'data-test': 'no-groups' }, 'You are not a member of any group yet. Found one, or apply to one below.');
    }
    return h('ul', { class: 'cards' }, r.data.groups.map((g) => h('li', {},
      h('a', { href: `#/groups/${g.id}`, 'data-test': 'group-link' }, g.name),
      h('p', { class: 'meta' }, g.roles.length ? `Your roles: ${g.roles.join(', ')}` : 'No roles'))));
  });
  append(root,
    h('h1', { tabindex: '-1' }, `Hello, ${p.name}`),
    p.backed_up_at ? null : backupPanel(p, ctx),
    groups,
    foundSection(ctx, groups),
    applySection());
}

function foundSection(ctx, groups) {
  const name = field({ label: 'Group name', name: 'name', test: 'found-name', required: true, maxlength: 200 });
  return titled('found-h', 'Found a group',
    h('p', {}, 'You become its first member under the default worker co-op charter: members decide '
      + 'together, by vote, who joins and who holds which role.'),
    form({
      label: 'Found a group', test: 'found-form',
      onSubmit: async (f) => {
        const value = name.input.value.trim();
        if (!value) return showErrors(f, { detail: 'Please give the group a name.', pointer: '/name' });
        const r = await api.foundGroup(value);
        if (!r.ok) {
          showErrors(f, r.error);
          // A lost answer may hide a founded group: show the list as it is now.
          if (r.status === 0) {
            f.formError.textContent = 'The connection failed before the server answered, so the group may or may not '
              + 'have been founded. Check your groups above before trying again.';
            groups.reload();
          }
          return;
        }
        // The founding entry is the first log head this device saw of the group.
        await store.putHead(r.data.id, 1, r.data.head);
        ctx.go(`#/groups/${r.data.id}`);
      },
    }, name.wrap, h('button', { type: 'submit', 'data-test': 'found-submit', 'data-busy': 'Founding…' }, 'Found the group')));
}

function applySection() {
  const gid = field({
    label: 'Group id', name: 'gid', test: 'apply-gid', required: true, autocomplete: 'off',
    spellcheck: 'false', hint: 'Ask a member for it: it is shown on the group\'s page.',
  });
  const message = field({
    label: 'A word to the members (optional)', name: 'message', control: 'textarea',
    test: 'apply-message', maxlength: 2000, rows: 3,
  });
  const done = h('p', { role: 'status', class: 'progress', 'data-test': 'apply-done' });
  return titled('apply-h', 'Apply to join a group',
    form({
      label: 'Apply to join a group', test: 'apply-form',
      onSubmit: async (f) => {
        done.textContent = '';
        const id = gid.input.value.trim().toLowerCase();
        if (!isUuid(id)) {
          return showErrors(f, { detail: 'A group id looks like 5c1e0b7f-3c1e-4d8a-9f21-5e6d7c8b9a01.', pointer: '/gid' });
        }
        const r = await api.apply(id, message.input.value.trim());
        if (!r.ok) {
          // 404: no such group (the answer also covers groups one may not read).
          if (r.status === 404) return showErrors(f, { ...r.error, detail: 'No group has this id.', pointer: '/gid' });
          return showErrors(f, r.error);
        }
        gid.input.value = '';
        message.input.value = '';
        done.textContent = 'Your application was sent. The members decide by vote; once they admit you, '
          + 'the group appears in your groups.';
      },
    }, gid.wrap, message.wrap,
    h('button', { type: 'submit', 'data-test': 'apply-submit', 'data-busy': 'Sending…' }, 'Apply'), done));
}
