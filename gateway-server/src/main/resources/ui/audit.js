import { call, download } from './api.js';
import { clear, errorBox, facts, h } from './dom.js';

/** The latest signed checkpoint, the tree size, and a download of the export. */
export function auditPage(view) {
  const checkpoint = h('div', { id: 'checkpoint' }, h('p', { class: 'muted' }, 'Loading…'));
  const from = h('input', { type: 'number', min: 0, id: 'export-from', placeholder: '0' });
  const to = h('input', { type: 'number', min: 0, id: 'export-to', placeholder: 'last' });
  const result = h('div', { id: 'export-result' });
  const button = h('button', { type: 'submit', id: 'export-download' }, 'Download export');
  const form = h(
    'form',
    { class: 'filters', id: 'export-form' },
    h('label', {}, 'From record ', from),
    h('label', {}, 'To record ', to),
    button,
  );
  clear(view).append(
    h(
      'section',
      {},
      h('h1', {}, 'Audit log'),
      h('section', { class: 'card' }, h('h2', {}, 'Latest checkpoint'), checkpoint),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Export'),
        h(
          'p',
          {},
          'Records as JSON Lines, byte for byte as stored. Verify them offline with ',
          h('code', {}, 'bin/jitgw audit verify'),
          ' against the checkpoint for the same tree size.',
        ),
        form,
        result,
      ),
    ),
  );

  let stopped = false;
  (async () => {
    try {
      const response = await call('/api/audit/checkpoint');
      const note = await response.text();
      if (stopped) return;
      const [origin, size, root] = note.split('\n');
      checkpoint.replaceChildren(
        facts([
          ['Tree size', h('span', { id: 'tree-size' }, size)],
          ['Root hash', h('code', {}, root)],
          ['Origin', origin],
          ['Verifier key', h('code', {}, response.headers.get('jitgw-verifier-key') ?? '')],
        ]),
        h('pre', { class: 'note', id: 'checkpoint-note' }, note),
      );
    } catch (e) {
      if (!stopped) checkpoint.replaceChildren(errorBox(e));
    }
  })();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    if (from.value !== '') query.set('from', from.value);
    if (to.value !== '') query.set('to', to.value);
    button.disabled = true;
    result.replaceChildren(h('p', { class: 'muted' }, 'Downloading…'));
    try {
      const { response, size } = await download(
        `/api/audit/export${query.size ? `?${query}` : ''}`,
        `jitgw-audit-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`,
      );
      result.replaceChildren(
        h('p', { role: 'status' }, `Saved ${size} bytes: tree size ${response.headers.get('jitgw-tree-size')}. Fetch its checkpoint with GET /api/audit/checkpoint?size=${response.headers.get('jitgw-tree-size')}.`),
      );
    } catch (e) {
      result.replaceChildren(errorBox(e));
    } finally {
      button.disabled = false;
    }
  });
  return () => {
    stopped = true;
  };
}
