import { json } from './api.js';
import { clear, errorBox, facts, h } from './dom.js';
import * as session from './session.js';

const SAMPLE_REQUEST = {
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  messages: [{ role: 'user', content: 'Hello' }],
};

function pretty(value) {
  return JSON.stringify(value, null, 2);
}

function rulesTable(policy) {
  return h(
    'table',
    { class: 'grid', id: 'policy-rules' },
    h('thead', {}, h('tr', {}, ['#', 'Rule', 'Line', 'Outcome', 'When'].map((t) => h('th', {}, t)))),
    h(
      'tbody',
      {},
      policy.rules.map((rule, i) =>
        h(
          'tr',
          {},
          h('td', {}, String(i + 1)),
          h('td', {}, rule.name),
          h('td', {}, String(rule.line)),
          h('td', {}, h('span', { class: `badge ${rule.outcome}` }, rule.outcome)),
          h('td', {}, h('code', {}, rule.when)),
        ),
      ),
    ),
  );
}

/** The rules in force, and a draft checked against a sample identity and request, then saved. */
export function policyPage(view) {
  const inForce = h('div', { id: 'policy-in-force' }, h('p', { class: 'muted' }, 'Loading…'));
  const draft = h('textarea', { id: 'policy-draft', rows: 18, spellcheck: 'false' });
  const me = session.claims() ?? {};
  const claims = h(
    'textarea',
    { id: 'policy-claims', rows: 6, spellcheck: 'false' },
    pretty({ sub: me.sub ?? 'alice', iss: me.iss ?? '', groups: session.groups(me) }),
  );
  const request = h('textarea', { id: 'policy-request', rows: 6, spellcheck: 'false' }, pretty(SAMPLE_REQUEST));
  const checkButton = h('button', { type: 'button', id: 'policy-check' }, 'Check');
  const saveButton = h('button', { type: 'button', id: 'policy-save', disabled: true }, 'Save and reload');
  const result = h('div', { id: 'policy-result' });
  let checkedText = null;

  clear(view).append(
    h(
      'section',
      {},
      h('h1', {}, 'Policy'),
      h('section', { class: 'card' }, h('h2', {}, 'In force'), inForce),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Draft'),
        h(
          'p',
          {},
          'Check compiles the draft and explains it for the sample identity and request, as ',
          h('code', {}, 'bin/jitgw policy test'),
          ' does. Save writes the policy file and reloads it; it is offered once the text as it is now has passed a check.',
        ),
        h('label', { for: 'policy-draft' }, 'Policy YAML'),
        draft,
        h(
          'div',
          { class: 'two' },
          h('div', {}, h('label', { for: 'policy-claims' }, 'Sample token claims'), claims),
          h('div', {}, h('label', { for: 'policy-request' }, 'Sample request body (sent as is)'), request),
        ),
        h('div', { class: 'controls' }, checkButton, saveButton),
        result,
      ),
    ),
  );

  let stopped = false;
  async function loadInForce(fillDraft) {
    try {
      const policy = await json('/api/policy');
      if (stopped) return;
      inForce.replaceChildren(
        facts([
          ['Version', h('code', { id: 'policy-version' }, policy.version)],
          ['Source', policy.source],
          ['Federation profiles', policy.federation.join(', ')],
        ]),
        rulesTable(policy),
      );
      if (fillDraft) {
        draft.value = policy.file?.text ?? '';
        if (!policy.file) {
          draft.placeholder = 'The gateway runs the built-in policy (no policy file): drafts can be checked, not saved.';
        }
      }
    } catch (e) {
      if (!stopped) inForce.replaceChildren(errorBox(e));
    }
  }

  function parse(textarea, name) {
    try {
      const value = JSON.parse(textarea.value || '{}');
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
      return value;
    } catch (e) {
      throw Object.assign(new Error(`${name}: not a JSON object (${e.message}).`), { status: 0 });
    }
  }

  function compileError(e) {
    const d = e.details ?? {};
    return h(
      'div',
      { class: 'compile-error', id: 'policy-error' },
      errorBox(e),
      d.line !== undefined || d.rule
        ? facts([
            ['Source', d.source],
            ['Line', d.line],
            ['Rule', d.rule],
            ['Problem', d.problem ? h('pre', {}, d.problem) : ''],
          ])
        : null,
    );
  }

  checkButton.addEventListener('click', async () => {
    const text = draft.value;
    saveButton.disabled = true;
    checkedText = null;
    result.replaceChildren(h('p', { class: 'muted' }, 'Checking…'));
    try {
      const answer = await json('/api/policy/check', {
        method: 'POST',
        body: { policy: text, claims: parse(claims, 'claims'), request: request.value },
      });
      const trial = answer.trial;
      result.replaceChildren(
        h('p', { class: 'notice approved', role: 'status' }, `Compiles: version ${answer.version}, ${answer.rules.length} rule(s).`),
        facts([
          ['Identity', `${trial.identity.sub} groups=[${trial.identity.groups.join(', ')}]`],
          ['Decision', h('strong', { id: 'policy-decision', class: `badge ${trial.decision.kind}` }, trial.decision.text)],
        ]),
        h(
          'ol',
          { class: 'trace', id: 'policy-trace' },
          trial.trace.map((step) =>
            h(
              'li',
              { class: `outcome-${step.outcome}` },
              h('strong', {}, step.rule), ` ${step.outcome.replace('_', ' ')}`,
              step.detail ? h('div', { class: 'error' }, step.detail) : null,
              step.parts.length
                ? h('ul', {}, step.parts.map((p) => h('li', {}, h('span', { class: `value value-${p.value}` }, p.value), ' ', h('code', {}, p.expression))))
                : null,
            ),
          ),
        ),
      );
      checkedText = text;
      saveButton.disabled = false;
    } catch (e) {
      result.replaceChildren(e.status === 400 && e.details?.source ? compileError(e) : errorBox(e));
    }
  });

  draft.addEventListener('input', () => {
    saveButton.disabled = draft.value !== checkedText;
  });

  saveButton.addEventListener('click', async () => {
    saveButton.disabled = true;
    try {
      const saved = await json('/api/policy', { method: 'POST', body: { policy: draft.value } });
      result.replaceChildren(h('p', { class: 'notice approved', role: 'status', id: 'policy-saved' }, `Saved and reloaded: version ${saved.version} is in force.`));
      loadInForce(false);
    } catch (e) {
      result.replaceChildren(e.status === 400 && e.details?.source ? compileError(e) : errorBox(e));
    }
  });

  loadInForce(true);
  return () => {
    stopped = true;
  };
}
