// A decision's discussion: its comments in order and a form to add one (a comment is not
// a vote, and not in the log). What is being typed outlives a reload of the decisions.

import * as api from './api.js';
import { h, fill, field, form, clearErrors, timeEl, errorLine } from './dom.js';
import { mark } from './start-decision.js';

const MAX = 10000; // characters (code points) of a comment, as the server counts them
const drafts = new Map(); // decision id -> the comment being typed
const n = (x) => x.toLocaleString('en');

export function discussion(d, g) {
  const path = `/coop/v1/groups/${g.gid}/decisions/${d.id}/comments`;
  const summary = h('summary', { 'data-test': 'discussion-toggle' }, 'Discussion');
  const list = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading the discussion…'));
  let comments = [];
  const show = () => {
    summary.textContent = `Discussion (${comments.length} comment${comments.length === 1 ? '' : 's'})`;
    fill(list, comments.length ? h('ol', { class: 'plain comments', 'data-test': 'comments' }, comments.map((c) => h('li', { 'data-test': 'comment' },
      h('p', { class: 'meta' }, h('strong', {}, c.person.name), ' · ', timeEl(c.created_at)),
      h('p', { class: 'comment-text' }, c.text)))) : h('p', { class: 'meta' }, 'No comments yet.'));
  };
  let loading = null;
  const load = () => loading || (loading = api.call('GET', path).then((r) => {
    list.removeAttribute('aria-busy');
    if (!r.ok) { loading = null; return fill(list, errorLine(r.error)); }
    comments = r.data.comments;
    return show();
  }));

  const text = field({ label: 'Your comment', name: 'text', control: 'textarea', rows: 3, test: 'comment-text', hint: ' ' });
  const hint = text.wrap.querySelector('.hint');
  const counted = () => {
    const len = [...text.input.value].length;
    hint.textContent = len > MAX ? `${n(len)} characters: ${n(len - MAX)} over the limit of ${n(MAX)}.`
      : `${n(len)} of at most ${n(MAX)} characters. A comment is not a vote.`;
    hint.classList.toggle('over', len > MAX);
  };
  text.input.value = drafts.get(d.id) || '';
  counted();
  text.input.addEventListener('input', () => { drafts.set(d.id, text.input.value); counted(); });

  const box = h('details', { class: 'discussion', 'data-test': 'discussion', open: ['proposing', 'voting', 'counting'].includes(d.state) },
    summary, list, form({
      label: `Comment on “${d.title}”`, test: 'comment-form',
      onSubmit: async (f) => {
        clearErrors(f);
        const value = text.input.value.trim();
        if (!value) return mark(text, 'Please write your comment first.');
        // Not retried on a network failure: a repeat could post it twice.
        const r = await api.call('POST', path, { text: value }, { retryNetwork: false });
        if (r.status === 413) return mark(text, `Your comment is too long (${n([...value].length)} characters): ${r.error.detail}`);
        if (!r.ok) return mark(text, r.status ? r.error.detail : 'The connection failed: the comment may or may not have been posted. '
          + 'What you typed is kept: look for it (Refresh decisions) before posting it again.');
        comments.push(r.data);
        show();
        text.input.value = '';
        drafts.delete(d.id);
        return counted();
      },
    }, text.wrap, h('button', { type: 'submit', 'data-test': 'comment-submit', 'data-busy': 'Posting…' }, 'Post the comment')));
  // A closed decision's discussion loads when opened.
  box.addEventListener('toggle', () => { if (box.open) load(); });
  if (box.open) load();
  return box;
}
