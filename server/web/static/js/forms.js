// The two forms of the page: a new campaign (POST /api/campaigns) and a CSV
// import into a new or existing list (POST /api/lists, then
// POST /api/lists/{id}/import with the file as multipart field "file").

import { request, upload } from './api.js';
import { h, formatNumber, table, definitionGrid } from './dom.js';
import { showError, clearError, announce } from './notify.js';

function field(id, label, input, hint) {
  input.id = id;
  input.name = id;
  if (hint) input.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', null,
    h('label', { for: id }, label),
    input,
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null);
}

function checkboxGroup(legend, name, items, describe, emptyText) {
  return h('fieldset', { id: `${name}-group` },
    h('legend', null, legend),
    items.length === 0
      ? h('p', { class: 'notice' }, emptyText)
      : items.map((item) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name, value: item.id, id: `${name}-${item.id}` }),
        describe(item))));
}

function checkedIDs(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((el) => Number(el.value));
}

// renderNewCampaign fills root with the campaign form. onCreated(campaign)
// runs after the API created it.
export async function renderNewCampaign(root, onCreated) {
  root.replaceChildren(h('h1', { tabindex: '-1' }, 'New campaign'), h('p', { class: 'notice' }, 'Loading lists and servers…'));
  let lists;
  let servers;
  try {
    [lists, servers] = await Promise.all([request('GET', '/api/lists'), request('GET', '/api/servers')]);
  } catch (err) {
    showError('Loading lists and servers', err);
    return;
  }
  const form = h('form', { id: 'campaign-form', novalidate: true },
    field('campaign-name', 'Name', h('input', { type: 'text', required: true, autocomplete: 'off' }),
      'Shown only to you, in the campaign list.'),
    field('campaign-subject', 'Subject', h('input', { type: 'text', autocomplete: 'off' }),
      'A Go template: {{ .Subscriber.Name }} inserts the subscriber\'s name.'),
    field('campaign-from-name', 'From name', h('input', { type: 'text', autocomplete: 'off' })),
    field('campaign-from-email', 'From email', h('input', { type: 'email', required: true, autocomplete: 'off' })),
    field('campaign-html', 'HTML body', h('textarea', { rows: 8 })),
    field('campaign-text', 'Text body', h('textarea', { rows: 6 }),
      'The plain-text part. Leave it empty to send HTML only.'),
    checkboxGroup('Lists', 'list', lists || [],
      (l) => `${l.name} (${formatNumber(l.subscribers)} subscribers)`,
      'No lists yet: import one first.'),
    checkboxGroup('Sending servers', 'server', servers || [],
      (sv) => `${sv.name}: ${sv.host}:${sv.port}, ${sv.rate_per_second > 0 ? `${sv.rate_per_second} per second` : 'no rate limit'}`,
      'No sending servers yet: add one with POST /api/servers.'),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button-primary' }, 'Create campaign')));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = (id) => form.querySelector(`#${id}`).value;
    const body = {
      name: value('campaign-name'),
      subject: value('campaign-subject'),
      from_name: value('campaign-from-name'),
      from_email: value('campaign-from-email'),
      html_body: value('campaign-html'),
      text_body: value('campaign-text'),
      list_ids: checkedIDs(form, 'list'),
      server_ids: checkedIDs(form, 'server'),
    };
    const submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      const campaign = await request('POST', '/api/campaigns', body);
      clearError();
      announce(`Campaign ${campaign.name} created.`);
      onCreated(campaign);
    } catch (err) {
      showError('Create campaign', err);
      submit.disabled = false;
    }
  });
  root.replaceChildren(h('h1', { tabindex: '-1' }, 'New campaign'), form);
}

// renderImport fills root with the import form.
export async function renderImport(root) {
  root.replaceChildren(h('h1', { tabindex: '-1' }, 'Import a list'), h('p', { class: 'notice' }, 'Loading lists…'));
  let lists;
  try {
    lists = (await request('GET', '/api/lists')) || [];
  } catch (err) {
    showError('Loading lists', err);
    return;
  }
  const target = h('select', null,
    h('option', { value: 'new' }, 'A new list'),
    lists.map((l) => h('option', { value: l.id }, `${l.name} (${formatNumber(l.subscribers)} subscribers)`)));
  const nameField = field('import-list-name', 'New list name', h('input', { type: 'text', autocomplete: 'off' }));
  target.addEventListener('change', () => { nameField.hidden = target.value !== 'new'; });
  const file = h('input', { type: 'file', accept: '.csv,text/csv', required: true });
  const progress = h('progress', { id: 'upload-progress', max: '100', value: '0', 'aria-labelledby': 'upload-label' });
  const progressText = h('span', { id: 'upload-percent' });
  const uploadBox = h('div', { class: 'upload', hidden: true },
    h('p', { id: 'upload-label', class: 'progress-label' }, 'Upload'), progress, ' ', progressText);
  const result = h('section', { id: 'import-result', 'aria-live': 'polite' });

  const form = h('form', { id: 'import-form', novalidate: true },
    field('import-target', 'Import into', target),
    nameField,
    field('import-file', 'CSV file', file,
      'The first line names the columns. An email column is required; name is optional, and every other column becomes an attribute.'),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button-primary' }, 'Import')));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const submit = form.querySelector('button[type="submit"]');
    if (file.files.length === 0) {
      showError('Import', new Error('choose a CSV file first'));
      return;
    }
    const listName = form.querySelector('#import-list-name').value.trim();
    if (target.value === 'new' && !listName) {
      showError('Import', new Error('enter a name for the new list, or choose an existing list'));
      return;
    }
    submit.disabled = true;
    try {
      let listID = Number(target.value);
      if (target.value === 'new') {
        const list = await request('POST', '/api/lists', { name: listName });
        listID = list.id;
      }
      const data = new FormData();
      data.append('file', file.files[0]);
      uploadBox.hidden = false;
      setProgress(progress, progressText, 0);
      const report = await upload(`/api/lists/${listID}/import`, data,
        (fraction) => setProgress(progress, progressText, fraction));
      setProgress(progress, progressText, 1);
      clearError();
      result.replaceChildren(h('div', null, importReport(report)));
      announce(`Import finished: ${formatNumber(report.rows)} rows, ${formatNumber(report.invalid)} invalid.`);
    } catch (err) {
      showError('Import', err);
    } finally {
      submit.disabled = false;
    }
  });
  root.replaceChildren(h('h1', { tabindex: '-1' }, 'Import a list'), form, uploadBox, result);
}

function setProgress(bar, label, fraction) {
  if (fraction === null) {
    bar.removeAttribute('value');
    label.textContent = 'uploading';
    return;
  }
  const pct = Math.round(fraction * 100);
  bar.value = pct;
  label.textContent = `${pct}%`;
}

function importReport(r) {
  const groups = r.duplicate_groups || [];
  const rowErrors = r.row_errors || [];
  return [
    h('h2', null, 'Import result'),
    definitionGrid('Import result', [
      ['Rows', r.rows || 0, 'import-rows'],
      ['Created', r.created || 0, 'import-created'],
      ['Updated', r.updated || 0, 'import-updated'],
      ['Duplicates', r.duplicates || 0, 'import-duplicates'],
      ['Invalid', r.invalid || 0, 'import-invalid'],
    ]),
    groups.length === 0 ? null : [
      h('h3', null, 'Duplicates'),
      h('p', { class: 'hint' }, 'Rows with the same address were merged; the last row wins.'),
      table('Duplicate addresses', [
        { label: 'Email', value: (g) => g.email },
        { label: 'Lines', value: (g) => (g.lines || []).join(', ') },
      ], groups),
    ],
    rowErrors.length === 0 ? null : [
      h('h3', null, 'Invalid rows'),
      rowErrors.length < (r.invalid || 0)
        ? h('p', { class: 'hint' }, `Showing the first ${formatNumber(rowErrors.length)} of ${formatNumber(r.invalid)}.`)
        : null,
      h('div', { id: 'row-errors' }, table('Invalid rows', [
        { label: 'Line', number: true, value: (e) => e.Line ?? e.line },
        { label: 'Email', value: (e) => e.Email ?? e.email ?? '' },
        { label: 'Reason', value: (e) => e.Reason ?? e.reason },
      ], rowErrors)),
    ],
  ];
}
