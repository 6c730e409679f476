import { json } from './api.js';
import { clear, errorBox, facts, h, time } from './dom.js';

const POLL_MS = 2000;

function requester(subject) {
  if (!subject) return '';
  return subject.display && subject.display !== subject.sub
    ? `${subject.display} (${subject.sub})`
    : subject.sub;
}

function cost(value) {
  return typeof value === 'number' ? `$${value.toFixed(4)}` : '';
}

function list(values) {
  return values && values.length ? values.join(', ') : '—';
}

/** One approval: the request summary, the decisions so far, and approve/deny with a reason. */
function approvalCard(approval, onDecided) {
  const request = approval.request ?? {};
  const reason = h('input', {
    type: 'text',
    class: 'reason',
    placeholder: 'Reason (required, shown to the requester on a denial)',
    maxlength: 1000,
    'aria-label': 'Reason',
  });
  const error = errorBox(null);
  const decide = async (verb, button) => {
    error.textContent = '';
    for (const b of card.querySelectorAll('button')) b.disabled = true;
    try {
      const decided = await json(`/api/approvals/${encodeURIComponent(approval.id)}/${verb}`, {
        method: 'POST',
        body: { reason: reason.value },
      });
      onDecided(decided);
    } catch (e) {
      error.replaceWith(errorBox(e));
      for (const b of card.querySelectorAll('button')) b.disabled = false;
      button.focus();
    }
  };
  const pending = approval.state === 'pending';
  const approve = h('button', { type: 'button', class: 'approve' }, 'Approve');
  const deny = h('button', { type: 'button', class: 'deny' }, 'Deny');
  approve.addEventListener('click', () => decide('approve', approve));
  deny.addEventListener('click', () => decide('deny', deny));
  const card = h(
    'article',
    { class: `card approval state-${approval.state}`, 'data-approval-id': approval.id },
    h(
      'h2',
      {},
      h('a', { href: `/ui/approvals/${approval.id}`, 'data-link': true }, approval.id),
      ' ',
      h('span', { class: `badge ${approval.state}` }, approval.state),
    ),
    facts([
      ['Requester', requester(approval.subject)],
      ['Rule', approval.rule],
      ['Request', `${request.method ?? ''} ${request.path ?? ''}`.trim()],
      ['Model', request.model],
      ['max_tokens', request.max_tokens],
      ['Stream', request.stream === undefined ? '' : String(request.stream)],
      ['Tools', list(request.tools)],
      ['Skills', list(request.skills)],
      ['Estimated cost', cost(request.estimated_cost_usd)],
      ['Approvers', `${list(approval.approvers)} (${approval.min_approvals ?? 1} needed)`],
      ['Created', time(approval.created_at)],
      ['Expires', time(approval.expires_at)],
      ['Decided', time(approval.decided_at)],
      [
        'Exchange',
        approval.exchange_id
          ? h('a', { href: `/ui/exchanges/${approval.exchange_id}`, 'data-link': true }, approval.exchange_id)
          : '',
      ],
    ]),
    request.preview ? h('blockquote', { class: 'preview' }, request.preview) : null,
    approval.decisions && approval.decisions.length
      ? h(
          'ul',
          { class: 'decisions' },
          approval.decisions.map((d) =>
            h('li', {}, `${d.decision} by ${requester(d.approver)} at ${time(d.at)}: ${d.reason ?? ''}`),
          ),
        )
      : null,
    pending ? h('div', { class: 'decide' }, reason, approve, deny) : null,
    error,
  );
  return card;
}

/** Pending approvals, polled every 2 s; cards stay in place (and keep a half-typed reason). */
export function approvalsPage(view) {
  const status = h('p', { class: 'muted', id: 'approvals-status' }, 'Loading…');
  const items = h('div', { id: 'approvals' });
  const notice = h('div', { id: 'approvals-notice' });
  clear(view).append(
    h('section', {}, h('h1', {}, 'Pending approvals'), status, notice, items),
  );
  let stopped = false;
  let timer = null;

  const decided = (approval) => {
    notice.replaceChildren(
      h(
        'p',
        { class: `notice ${approval.state}`, role: 'status' },
        `${approval.id}: ${approval.state}`,
        approval.state === 'pending' ? ' (more approvals needed)' : '',
      ),
    );
    refresh();
  };

  async function refresh() {
    clearTimeout(timer);
    try {
      const answer = await json('/api/approvals?state=pending&limit=100');
      if (stopped) return;
      const seen = new Set();
      for (const approval of answer.approvals) {
        seen.add(approval.id);
        const existing = items.querySelector(`[data-approval-id="${CSS.escape(approval.id)}"]`);
        const revision = String(approval.revision ?? '');
        if (!existing) {
          const card = approvalCard(approval, decided);
          card.dataset.revision = revision;
          items.append(card);
        } else if (existing.dataset.revision !== revision) {
          // Another approver voted: show the new trail, keep what this user typed.
          const typed = existing.querySelector('.reason')?.value ?? '';
          const card = approvalCard(approval, decided);
          card.dataset.revision = revision;
          const input = card.querySelector('.reason');
          if (input) input.value = typed;
          existing.replaceWith(card);
        }
      }
      for (const card of [...items.children]) {
        if (!seen.has(card.dataset.approvalId)) card.remove();
      }
      status.textContent = answer.approvals.length
        ? `${answer.approvals.length} pending · updated ${new Date().toLocaleTimeString()}`
        : `Nothing is waiting for a decision · updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      if (stopped) return;
      status.replaceChildren(errorBox(e));
    }
    if (!stopped) timer = setTimeout(refresh, POLL_MS);
  }

  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** One approval in any state: the page webhook messages link to. */
export function approvalPage(view, id) {
  const holder = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  clear(view).append(
    h(
      'section',
      {},
      h('p', {}, h('a', { href: '/ui/approvals', 'data-link': true }, '← Pending approvals')),
      holder,
    ),
  );
  let stopped = false;
  const load = async () => {
    try {
      const approval = await json(`/api/approvals/${encodeURIComponent(id)}`);
      if (!stopped) holder.replaceChildren(approvalCard(approval, load));
    } catch (e) {
      if (!stopped) holder.replaceChildren(errorBox(e));
    }
  };
  load();
  return () => {
    stopped = true;
  };
}
