// One delivery: the body that was delivered, every attempt, and a retry.
import { mayWrite } from './access.js';
import { ApiError } from './api.js';
import { announce, clear, h, prettyJson, time } from './dom.js';
import { statusBadge } from './format.js';

/** @typedef {import('./app.js').Portal} Portal */

/**
 * @param {HTMLElement} main @param {Portal} portal
 * @param {number} webhookId @param {number} deliveryId
 */
export async function renderDelivery(main, portal, webhookId, deliveryId) {
  document.title = `Delivery ${deliveryId} · Webhooks portal`;
  const d = await portal.client.getDelivery(webhookId, deliveryId);
  const notice = h('div', { class: 'notices', 'aria-live': 'polite' });
  const attempts = h('div', { id: 'attempts' });
  main.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Webhooks'), ' / ',
      h('a', { href: `#/webhooks/${webhookId}` }, `#${webhookId}`), ' / ', deliveryId),
    h('h1', {}, `Delivery ${deliveryId}`),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Status'), h('dd', { id: 'delivery-status-value' }, statusBadge(d.status)),
      h('dt', {}, 'Topic'), h('dd', {}, d.topic),
      h('dt', {}, 'Event'), h('dd', {}, d.eventId),
      h('dt', {}, 'Created'), h('dd', {}, time(d.dateCreated)),
      h('dt', {}, 'Next attempt'), h('dd', {}, time(d.nextAttemptAt))),
    notice);
  if (mayWrite(portal)) {
    main.append(h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary',
      onclick: async (event) => {
        event.currentTarget.disabled = true;
        try {
          await portal.client.retryDelivery(webhookId, deliveryId);
          clear(notice).append(h('p', { class: 'success' }, 'A new attempt is on its way.'));
          announce('Retry queued');
          poll();
        } catch (error) {
          if (error instanceof ApiError && error.status !== 401) {
            clear(notice).append(h('p', { class: 'error', role: 'alert' }, `${error.message} (${error.code})`));
          } else {
            portal.failed(error);
          }
        } finally {
          event.target.disabled = false;
        }
      } }, 'Retry now')));
  }
  main.append(h('h2', {}, 'Delivered body'),
    h('pre', { class: 'code', tabindex: '0', 'aria-label': 'Delivered body' }, prettyJson(d.event)),
    h('h2', {}, 'Attempts'), attempts);

  const showAttempts = (detail) => {
    clear(attempts);
    if (detail.attempts.length === 0) {
      attempts.append(h('p', { class: 'empty' }, 'No attempt yet.'));
      return;
    }
    attempts.append(h('ol', { class: 'attempts' }, detail.attempts.map((a) =>
      h('li', { class: 'card', 'data-attempt': a.attempt },
        h('h3', {}, `Attempt ${a.attempt}`),
        h('dl', { class: 'facts' },
          h('dt', {}, 'Time'), h('dd', {}, time(a.at)),
          h('dt', {}, 'Duration'), h('dd', {}, `${a.durationMs} ms`),
          h('dt', {}, 'Status'), h('dd', {}, a.statusCode ? `HTTP ${a.statusCode}` : '—'),
          h('dt', {}, 'Error'), h('dd', {}, a.error || '—')),
        h('p', { class: 'label' }, 'Answer body'),
        h('pre', { class: 'code answer', tabindex: '0', 'aria-label': `Answer body of attempt ${a.attempt}` },
          a.responseBody || '(empty)')))));
  };
  showAttempts(d);

  // After a retry: the new attempt shows up here without a reload.
  const seen = d.attempts.length;
  function poll() {
    const stop = portal.every(1000, async () => {
      try {
        const now = await portal.client.getDelivery(webhookId, deliveryId);
        showAttempts(now);
        clear(main.querySelector('#delivery-status-value')).append(statusBadge(now.status));
        if (now.attempts.length > seen) stop();
      } catch (error) {
        stop();
        portal.failed(error);
      }
    });
  }
}
