// One webhook: its settings, what may be done to it, and its deliveries.
import { mayWrite } from './access.js';
import { ApiError } from './api.js';
import { announce, clear, h, time } from './dom.js';
import { scopeText, statusBadge } from './format.js';
import { secretPanel } from './secret_panel.js';

const PAGE = 20;
const REFRESH_MS = 2000;

/** @typedef {import('./app.js').Portal} Portal */

function facts(webhook) {
  const row = (term, ...value) => [h('dt', {}, term), h('dd', {}, ...value)];
  return h('dl', { class: 'facts' },
    row('Status', statusBadge(webhook.status),
        webhook.disabledReason ? h('span', { class: 'hint' }, ` ${webhook.disabledReason}`) : null),
    row('URL', h('span', { class: 'url' }, webhook.webhookUrl)),
    row('Topics', webhook.topics.join(', ')),
    row('Scope', scopeText(webhook)),
    row('Simple secret', webhook.hasSecretHttp ? 'set' : 'none'),
    row('Created', time(webhook.dateCreated)),
    row('Changed', time(webhook.dateModified)));
}

// A confirmation in a modal dialog: resolves true when confirmed.
function confirmDialog(title, text, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { 'aria-labelledby': 'confirm-title', class: 'card' },
      h('h2', { id: 'confirm-title' }, title), h('p', {}, text),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'danger', onclick: () => dialog.close('yes') }, confirmLabel),
        h('button', { type: 'button', onclick: () => dialog.close('no') }, 'Cancel')));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'yes');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** @param {HTMLElement} main @param {Portal} portal @param {number} webhookId */
export async function renderWebhook(main, portal, webhookId) {
  const webhook = await portal.client.getWebhook(webhookId);
  document.title = `Webhook #${webhookId} · Webhooks portal`;
  const notice = h('div', { class: 'notices', 'aria-live': 'polite' });
  const say = (node) => {
    clear(notice);
    notice.append(node);
  };
  // An API refusal is shown beside the actions; a lost session or network goes to the portal.
  const sayFailure = (error) => {
    if (error instanceof ApiError && error.status !== 401) {
      say(h('p', { class: 'error', role: 'alert' }, `${error.message} (${error.code})`));
    } else {
      portal.failed(error);
    }
  };
  const act = (label, fn, cls = '') => h('button', { type: 'button', class: cls, onclick: async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      await fn();
    } catch (error) {
      sayFailure(error);
    } finally {
      button.disabled = false;
    }
  } }, label);

  const deliveries = h('section', { 'aria-labelledby': 'deliveries-title' });
  const actions = h('div', { class: 'actions wrap' });
  const tools = h('div', { class: 'tools' });
  main.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Webhooks'), ' / ', `#${webhookId}`),
    h('div', { class: 'page-head' }, h('h1', {}, `Webhook #${webhookId}`)),
    facts(webhook), actions, notice, tools, deliveries);

  if (mayWrite(portal)) {
    const enabled = webhook.status === 'enabled';
    actions.append(
      h('a', { class: 'button', href: `#/webhooks/${webhookId}/edit` }, 'Edit'),
      act('Send test event', async () => {
        const sent = await portal.client.sendTest(webhookId);
        say(h('p', { class: 'success' }, `Test event ${sent.eventId} queued: watch it arrive below.`));
        announce('Test event queued');
        await refresh();
      }),
      act(enabled ? 'Disable' : 'Enable', async () => {
        await portal.client.updateWebhook(webhookId, { status: enabled ? 'disabled' : 'enabled' });
        announce(enabled ? 'Webhook disabled' : 'Webhook enabled');
        portal.go(`/webhooks/${webhookId}`);
      }),
      act('Rotate secret', async () => {
        const ok = await confirmDialog('Rotate the signing secret?',
          'A new secret signs every delivery from now on. The previous one keeps signing beside ' +
          'it for the grace period (24 hours unless the server is set otherwise), so that your ' +
          'receiver can move to the new one without failing a delivery.', 'Rotate');
        if (!ok) return;
        const rotated = await portal.client.rotateSecret(webhookId);
        say(h('section', { class: 'card', 'aria-labelledby': 'rotated-title' },
          h('h2', { id: 'rotated-title' }, 'New signing secret'),
          secretPanel(rotated.secretHmac, 'Deliveries carry a signature with this secret and, ' +
            'during the grace period, one with the previous secret too.')));
        announce('Secret rotated');
      }),
      act('Delete', async () => {
        const ok = await confirmDialog(`Delete webhook #${webhookId}?`,
          'Its pending deliveries are cancelled. This cannot be undone.', 'Delete');
        if (!ok) return;
        await portal.client.deleteWebhook(webhookId);
        announce('Webhook deleted');
        portal.go('/');
      }, 'danger'));

    const sinceInput = h('input', { id: 'recover-since', type: 'datetime-local', step: '1', required: true });
    const recoverForm = h('form', { class: 'inline-form', 'aria-labelledby': 'recover-title' },
      h('h2', { id: 'recover-title' }, 'Recover'),
      h('p', { class: 'hint', id: 'recover-help' },
        'Queue again every failed or skipped delivery created since a date and time (your local time).'),
      h('label', { for: 'recover-since' }, 'Since'), sinceInput,
      h('button', { type: 'submit' }, 'Recover'));
    sinceInput.setAttribute('aria-describedby', 'recover-help');
    recoverForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const since = new Date(sinceInput.value);
      if (!sinceInput.value || Number.isNaN(since.getTime())) {
        say(h('p', { class: 'error', role: 'alert' }, 'Pick a date and time to recover from.'));
        return;
      }
      try {
        const result = await portal.client.recover(webhookId, since.toISOString());
        say(h('p', { class: 'success' },
          `${result.count} ${result.count === 1 ? 'delivery' : 'deliveries'} queued again.`));
        announce('Recovery queued');
        await refresh();
      } catch (error) {
        sayFailure(error);
      }
    });
    tools.append(recoverForm);
  }

  // Deliveries, newest first, with a status filter, pages and an auto-refresh.
  /** @type {{ status?: import('hookd-api').components['schemas']['DeliveryStatus'], offset: number }} */
  const state = { offset: 0 };
  const statusSelect = h('select', { id: 'delivery-status' },
    ['', 'pending', 'succeeded', 'failed', 'skipped'].map((s) => h('option', { value: s }, s || 'all')));
  const autoRefresh = h('input', { type: 'checkbox', id: 'auto-refresh', checked: true });
  const list = h('div', { id: 'deliveries' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Delivery pages' });
  deliveries.append(h('h2', { id: 'deliveries-title' }, 'Deliveries'),
    h('div', { class: 'filters' },
      h('label', { for: 'delivery-status' }, 'Status'), statusSelect,
      h('label', { class: 'check' }, autoRefresh, ' Refresh every 2 seconds')),
    list, pager);

  async function refresh() {
    const page = await portal.client.listDeliveries(webhookId,
      { status: state.status, offset: state.offset, size: PAGE });
    clear(list);
    clear(pager);
    if (page.length === 0) {
      list.append(h('p', { class: 'empty' }, state.offset ? 'No older delivery.' : 'No delivery yet.'));
    } else {
      list.append(h('div', { class: 'table-wrap' }, h('table', { class: 'responsive' },
        h('caption', { class: 'visually-hidden' }, 'Deliveries, newest first'),
        h('thead', {}, h('tr', {}, ['Delivery', 'Topic', 'Status', 'Attempts', 'Last answer', 'Created', 'Next attempt']
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, page.map((d) => h('tr', { 'data-delivery-id': d.id, 'data-status': d.status },
          h('td', { 'data-label': 'Delivery' },
            h('a', { href: `#/webhooks/${webhookId}/deliveries/${encodeURIComponent(d.id)}` }, d.id)),
          h('td', { 'data-label': 'Topic' }, d.topic),
          h('td', { 'data-label': 'Status' }, statusBadge(d.status)),
          h('td', { 'data-label': 'Attempts' }, String(d.attemptCount)),
          h('td', { 'data-label': 'Last answer' },
            [d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : null, d.lastError].filter(Boolean).join(' · ') || '—'),
          h('td', { 'data-label': 'Created' }, time(d.dateCreated)),
          h('td', { 'data-label': 'Next attempt' }, time(d.nextAttemptAt))))))));
    }
    if (state.offset > 0) {
      pager.append(h('button', { type: 'button', onclick: () => {
        state.offset = Math.max(0, state.offset - PAGE);
        refresh().catch((e) => portal.failed(e));
      } }, 'Newer'));
    }
    if (page.length === PAGE) {
      pager.append(h('button', { type: 'button', onclick: () => {
        state.offset += PAGE;
        refresh().catch((e) => portal.failed(e));
      } }, 'Older'));
    }
  }
  statusSelect.addEventListener('change', () => {
    state.status = statusSelect.value || undefined;
    state.offset = 0;
    refresh().catch((e) => portal.failed(e));
  });
  let stop = null;
  const schedule = () => {
    if (stop) stop();
    stop = autoRefresh.checked
      ? portal.every(REFRESH_MS, () => refresh().catch((e) => portal.failed(e)))
      : null;
  };
  autoRefresh.addEventListener('change', schedule);
  await refresh();
  schedule();
}
