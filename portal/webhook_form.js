// Create or edit a webhook. The API validates; each of its errors is shown beside its field.
import { mayWrite } from './access.js';
import { ApiError } from './api.js';
import { announce, h } from './dom.js';
import { TOPICS } from './format.js';
import { secretPanel } from './secret_panel.js';

/** @typedef {import('./app.js').Portal} Portal */

// Which field an API error is about, by its code, else by the field its message names.
const FIELD_OF_CODE = {
  WebhookInvalidUrl: 'webhookUrl',
  WebhookUnsupportedProtocol: 'webhookUrl',
  WebhookForbiddenDestination: 'webhookUrl',
  UnsupportedTopic: 'topics',
  DeviceNotFound: 'deviceIds',
  DeviceGroupNotFound: 'deviceGroupIds',
};
const FIELDS = ['webhookUrl', 'topics', 'deviceIds', 'deviceGroupIds', 'secretHttp'];

export function fieldOfError(error) {
  if (FIELD_OF_CODE[error.code]) return FIELD_OF_CODE[error.code];
  return FIELDS.find((name) => error.message.includes(name)) || null;
}

// "85, 86" -> [85, 86]; anything that is not a list of integers is left for the API to refuse.
function idList(text) {
  const parts = text.split(/[\s,]+/).filter((p) => p.length > 0);
  return parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function field(name, label, control, help) {
  const error = h('p', { class: 'field-error', id: `${name}-error`, hidden: true });
  const hint = help ? h('p', { class: 'hint', id: `${name}-help` }, help) : null;
  control.setAttribute('aria-describedby', [hint ? `${name}-help` : null, `${name}-error`]
    .filter(Boolean).join(' '));
  const wrapper = h('div', { class: 'field', 'data-field': name },
    label ? h('label', { for: name }, label) : null, control, hint, error);
  return { wrapper, error, control };
}

/** @param {HTMLElement} main @param {Portal} portal @param {number | null} webhookId */
export async function renderWebhookForm(main, portal, webhookId) {
  const editing = webhookId !== null;
  document.title = `${editing ? `Edit webhook #${webhookId}` : 'New webhook'} · Webhooks portal`;
  if (!mayWrite(portal)) {
    main.append(h('h1', {}, 'Read only'), h('p', {}, 'This session can read, not change.'));
    return;
  }
  const existing = editing ? await portal.client.getWebhook(webhookId) : null;

  const fields = {};
  fields.webhookUrl = field('webhookUrl', 'Webhook URL',
    h('input', { id: 'webhookUrl', name: 'webhookUrl', type: 'text', inputmode: 'url',
                 autocomplete: 'url', spellcheck: 'false', value: existing?.webhookUrl ?? '',
                 placeholder: 'https://example.com/hooks/device-events', required: true }),
    'An https:// URL that answers 2xx.');
  const topicBoxes = TOPICS.map((topic) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'topics', value: topic,
                 checked: existing ? existing.topics.includes(topic) : false }), ` ${topic}`));
  const topicsError = h('p', { class: 'field-error', id: 'topics-error', hidden: true });
  const topicsSet = h('fieldset', { class: 'field', 'data-field': 'topics', id: 'topics',
                                    'aria-describedby': 'topics-error' },
    h('legend', {}, 'Topics'), topicBoxes, topicsError);
  fields.topics = { wrapper: topicsSet, error: topicsError, control: topicsSet };
  fields.deviceIds = field('deviceIds', 'Device ids',
    h('input', { id: 'deviceIds', name: 'deviceIds', value: (existing?.deviceIds ?? []).join(', ') }),
    'Comma-separated. Leave devices and groups empty for every device of the organization.');
  fields.deviceGroupIds = field('deviceGroupIds', 'Device group ids',
    h('input', { id: 'deviceGroupIds', name: 'deviceGroupIds',
                 value: (existing?.deviceGroupIds ?? []).join(', ') }),
    'Comma-separated. A device added to a group later is covered from then on.');
  fields.secretHttp = field('secretHttp', 'Simple secret (optional)',
    h('input', { id: 'secretHttp', name: 'secretHttp', type: 'text', autocomplete: 'off',
                 spellcheck: 'false' }),
    existing ? (existing.hasSecretHttp ? 'Set: leave empty to keep it, or type a new one.'
                                       : 'None set. Sent in the x-webhook-secret header.')
             : 'Sent as is in the x-webhook-secret header of every delivery.');
  const clearSecret = existing?.hasSecretHttp
    ? h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'clearSecretHttp' }),
        ' Remove the simple secret')
    : null;
  const formError = h('p', { class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, editing ? 'Save' : 'Create webhook');
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'form-title' },
    h('h1', { id: 'form-title' }, editing ? `Edit webhook #${webhookId}` : 'New webhook'),
    formError,
    editing ? null : h('p', { class: 'hint' }, `For organization ${portal.session.organizationId}.`),
    fields.webhookUrl.wrapper, fields.topics.wrapper, fields.deviceIds.wrapper,
    fields.deviceGroupIds.wrapper, fields.secretHttp.wrapper, clearSecret,
    h('div', { class: 'actions' }, submit,
      h('a', { class: 'button', href: editing ? `#/webhooks/${webhookId}` : '#/' }, 'Cancel')));

  const showErrors = (error) => {
    for (const f of Object.values(fields)) {
      f.error.hidden = true;
      f.error.textContent = '';
      f.control.removeAttribute('aria-invalid');
    }
    formError.hidden = true;
    if (!error) return;
    const name = fieldOfError(error);
    const target = name && fields[name];
    const text = `${error.message}`;
    if (target) {
      target.error.textContent = text;
      target.error.hidden = false;
      target.control.setAttribute('aria-invalid', 'true');
      (target.control.matches('fieldset') ? target.control.querySelector('input') : target.control).focus();
    } else {
      formError.textContent = text;
      formError.hidden = false;
    }
    announce(text);
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showErrors(null);
    const value = (name) => form.elements[name].value.trim();
    const body = {
      webhookUrl: value('webhookUrl'),
      topics: topicBoxes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
      deviceIds: idList(value('deviceIds')),
      deviceGroupIds: idList(value('deviceGroupIds')),
      // Left out (undefined) keeps the secret a webhook has.
      secretHttp: form.elements.secretHttp.value || undefined,
    };
    submit.disabled = true;
    try {
      if (webhookId !== null) {
        const clearing = form.querySelector('#clearSecretHttp')?.checked;
        await portal.client.updateWebhook(webhookId, { ...body, secretHttp: clearing ? null : body.secretHttp });
        announce('Webhook saved');
        portal.go(`/webhooks/${webhookId}`);
      } else {
        // A new webhook belongs to the token's organization.
        const created = await portal.client.createWebhook({ ...body, organizationId: portal.session.organizationId });
        form.replaceWith(createdPanel(created));
      }
    } catch (error) {
      if (!(error instanceof ApiError) || error.status === 401) return portal.failed(error);
      showErrors(error);
    } finally {
      submit.disabled = false;
    }
  });
  main.append(form);
  fields.webhookUrl.control.focus();
}

function createdPanel(created) {
  const panel = h('section', { class: 'card', 'aria-labelledby': 'created-title' },
    h('h1', { id: 'created-title' }, `Webhook #${created.id} created`),
    secretPanel(created.secretHmac,
      'This is the signing secret of the webhook. Keep it where your receiver can read it: ' +
      'you will not see this again.'),
    h('div', { class: 'actions' },
      h('a', { class: 'button primary', href: `#/webhooks/${created.id}` }, 'Open the webhook'),
      h('a', { class: 'button', href: '#/' }, 'All webhooks')));
  queueMicrotask(() => panel.querySelector('h1').focus());
  panel.querySelector('h1').setAttribute('tabindex', '-1');
  return panel;
}
