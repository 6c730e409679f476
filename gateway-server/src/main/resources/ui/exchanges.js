import { json } from './api.js';
import { clear, errorBox, facts, h, time } from './dom.js';
import { Replay, responseTimeline } from './replay.js';

function isoOrEmpty(local) {
  // <input type="datetime-local"> gives local time without a zone.
  if (!local) return '';
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

function tokens(usage) {
  if (!usage) return '';
  return `${usage.input_tokens ?? 0} in / ${usage.output_tokens ?? 0} out`;
}

/** Recorded exchanges, newest first, filtered by subject, time, model and decision. */
export function exchangesPage(view) {
  const params = new URLSearchParams(location.search);
  const subject = h('input', { type: 'text', name: 'subject', id: 'filter-subject', value: params.get('subject') ?? '' });
  const since = h('input', { type: 'datetime-local', name: 'since', id: 'filter-since' });
  const until = h('input', { type: 'datetime-local', name: 'until', id: 'filter-until' });
  const model = h('input', { type: 'text', name: 'model', id: 'filter-model', placeholder: 'claude-sonnet', value: params.get('model') ?? '' });
  const decision = h(
    'select',
    { name: 'decision', id: 'filter-decision' },
    ['', 'allow', 'deny', 'hold'].map((d) => h('option', { value: d }, d || 'any')),
  );
  decision.value = params.get('decision') ?? '';
  const limit = h('input', { type: 'number', name: 'limit', id: 'filter-limit', min: 1, max: 500, value: params.get('limit') ?? 50 });
  const form = h(
    'form',
    { class: 'filters', id: 'exchange-filters' },
    h('label', {}, 'Subject ', subject),
    h('label', {}, 'Since ', since),
    h('label', {}, 'Until ', until),
    h('label', {}, 'Model ', model),
    h('label', {}, 'Decision ', decision),
    h('label', {}, 'Limit ', limit),
    h('button', { type: 'submit' }, 'Search'),
  );
  const result = h('div', { id: 'exchanges' });
  clear(view).append(h('section', {}, h('h1', {}, 'Exchanges'), form, result));

  let stopped = false;
  async function load(before) {
    const query = new URLSearchParams();
    if (subject.value.trim()) query.set('subject', subject.value.trim());
    if (isoOrEmpty(since.value)) query.set('since', isoOrEmpty(since.value));
    if (isoOrEmpty(until.value)) query.set('until', isoOrEmpty(until.value));
    if (model.value.trim()) query.set('model', model.value.trim());
    if (decision.value) query.set('decision', decision.value);
    if (limit.value) query.set('limit', limit.value);
    if (before) query.set('before', before);
    result.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      const answer = await json(`/api/exchanges?${query}`);
      if (stopped) return;
      const rows = answer.exchanges.map((x) =>
        h(
          'tr',
          { 'data-exchange-id': x.id },
          h('td', {}, h('a', { href: `/ui/exchanges/${x.id}`, 'data-link': true }, time(x.started_at))),
          h('td', {}, x.subject ?? ''),
          h('td', {}, `${x.method ?? ''} ${x.path ?? ''}`),
          h('td', {}, x.model ?? ''),
          h('td', {}, h('span', { class: `badge ${x.decision ?? ''}` }, x.decision ?? ''), x.rule ? ` ${x.rule}` : ''),
          h('td', {}, x.outcome ?? 'open', x.status !== undefined && x.status !== null ? ` (${x.status})` : ''),
          h('td', {}, tokens(x.usage)),
        ),
      );
      result.replaceChildren(
        rows.length
          ? h(
              'table',
              { class: 'grid' },
              h('thead', {}, h('tr', {}, ['Started', 'Subject', 'Request', 'Model', 'Decision', 'Outcome', 'Usage'].map((t) => h('th', {}, t)))),
              h('tbody', {}, rows),
            )
          : h('p', { class: 'muted' }, 'No exchanges match.'),
        answer.next
          ? h('button', { type: 'button', class: 'more', onclick: () => load(answer.next) }, 'Older')
          : null,
      );
    } catch (e) {
      if (!stopped) result.replaceChildren(errorBox(e));
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  load();
  return () => {
    stopped = true;
  };
}

function section(title, ...content) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...content);
}

/** One exchange: identity, decision and rule, approval trail, masking, usage, and a replay. */
export function exchangePage(view, id) {
  const holder = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  clear(view).append(
    h(
      'section',
      {},
      h('p', {}, h('a', { href: '/ui/exchanges', 'data-link': true }, '← Exchanges')),
      h('h1', {}, 'Exchange ', h('code', {}, id)),
      holder,
    ),
  );
  let replay = null;
  let stopped = false;
  (async () => {
    let exchange;
    try {
      exchange = await json(`/api/exchanges/${encodeURIComponent(id)}`);
    } catch (e) {
      if (!stopped) holder.replaceChildren(errorBox(e));
      return;
    }
    if (stopped) return;
    const records = exchange.records ?? [];
    const of = (type) => records.filter((r) => r.type === type);
    const request = of('request')[0] ?? {};
    const decision = of('decision')[0] ?? {};
    const end = of('response_end')[0];
    const identity = request.identity ?? {};
    const approvals = of('approval');
    const masking = of('masking');

    const parts = [];
    parts.push(
      section(
        'Identity',
        facts([
          ['Subject', identity.sub],
          ['Issuer', identity.iss],
          ['Groups', (identity.groups ?? []).join(', ')],
          ['Purpose', identity.purpose],
        ]),
      ),
      section(
        'Request',
        facts([
          ['Started', time(request.time)],
          ['Request', `${request.method ?? ''} ${request.path ?? ''}`],
          ['Model', request.model],
          ['max_tokens', request.max_tokens],
          ['Stream', request.stream === undefined ? '' : String(request.stream)],
          ['Body', request.body_size === undefined ? '' : `${request.body_size} bytes, sha256 ${request.body_sha256}`],
        ]),
      ),
      section(
        'Decision',
        facts([
          ['Decision', h('span', { class: `badge ${decision.decision ?? ''}` }, decision.decision ?? 'none')],
          ['Rule', decision.rule ?? '(no rule matched)'],
          ['Reason', decision.reason],
          ['Mask', decision.mask ? decision.mask.join(', ') : ''],
          ['Route', decision.route],
          ['Approvers', decision.approvers ? decision.approvers.join(', ') : ''],
          ['Policy version', decision.policy_version],
        ]),
      ),
    );
    if (approvals.length) {
      parts.push(
        section(
          'Approval trail',
          h(
            'ol',
            { class: 'trail', id: 'approval-trail' },
            approvals.map((a) => {
              const summary = a.event === 'outcome'
                ? `outcome: ${a.outcome}${a.joined ? ' (joined)' : ''}${a.grant_id ? `, grant ${a.grant_id}` : ''}`
                : `${a.event}: ${a.state}`;
              const decisions = a.approval?.decisions ?? [];
              return h(
                'li',
                {},
                time(a.time), ' ',
                h('a', { href: `/ui/approvals/${a.approval_id}`, 'data-link': true }, a.approval_id),
                ' ', summary,
                a.event === 'decided' || a.event === 'voted'
                  ? h('ul', {}, decisions.map((d) => h('li', {}, `${d.decision} by ${d.approver?.display ?? d.approver?.sub}: ${d.reason ?? ''}`)))
                  : null,
              );
            }),
          ),
        ),
      );
    }
    const counts = Object.assign({}, ...masking.map((m) => m.counts ?? {}));
    parts.push(
      section(
        'Masking',
        masking.length
          ? Object.keys(counts).length
            ? h('table', { class: 'grid', id: 'masking-counts' }, h('tbody', {}, Object.entries(counts).map(([name, n]) => h('tr', {}, h('td', {}, name), h('td', {}, String(n))))))
            : h('p', {}, 'A masking profile applied; nothing was masked.')
          : h('p', { class: 'muted' }, 'No masking profile applied.'),
      ),
      section(
        'Outcome and usage',
        end
          ? facts([
              ['Outcome', end.outcome],
              ['Status', end.status === null ? 'none sent' : end.status],
              ['Duration', end.duration_ms === undefined ? '' : `${end.duration_ms} ms`],
              ['Bytes to the caller', end.bytes],
              ['Input tokens', end.usage?.input_tokens],
              ['Output tokens', end.usage?.output_tokens],
              ['Cache creation tokens', end.usage?.cache_creation_input_tokens],
              ['Cache read tokens', end.usage?.cache_read_input_tokens],
              ['Error', end.error],
            ])
          : h('p', { class: 'muted' }, 'The exchange has not ended yet.'),
      ),
    );
    const timeline = responseTimeline(records);
    if (timeline.pieces.length) {
      replay = new Replay(timeline);
      parts.push(section('Response replay', replay.element));
    } else {
      parts.push(section('Response replay', h('p', { class: 'muted' }, 'No response body was recorded.')));
    }
    holder.replaceChildren(...parts);
  })();
  return () => {
    stopped = true;
    replay?.stop();
  };
}
