// The organization's webhooks: status, URL, topics, scope and the last delivery's outcome.
import { mayWrite } from './access.js';
import { clear, h, time } from './dom.js';
import { outcomeText, scopeText, statusBadge } from './format.js';

const PAGE = 20;

/** @typedef {import('./app.js').Portal} Portal */

/** @param {HTMLElement} main @param {Portal} portal */
export async function renderWebhookList(main, portal, offset = 0) {
  document.title = 'Webhooks · Webhooks portal';
  const actions = h('div', { class: 'actions' });
  const body = h('div', { 'aria-busy': 'true' }, h('p', {}, 'Loading webhooks…'));
  main.append(h('div', { class: 'page-head' }, h('h1', {}, 'Webhooks'), actions), body);

  const webhooks = await portal.client.listWebhooks({ offset, size: PAGE });
  const lastDeliveries = await Promise.all(webhooks.map((w) =>
    portal.client.listDeliveries(w.id, { size: 1 }).then((list) => list[0]).catch(() => null)));
  if (mayWrite(portal)) {
    actions.append(h('a', { class: 'button primary', href: '#/new' }, 'New webhook'));
  } else {
    actions.append(h('p', { class: 'hint' }, 'This session can read, not change.'));
  }

  clear(body).removeAttribute('aria-busy');
  if (webhooks.length === 0 && offset === 0) {
    body.append(h('p', { class: 'empty' }, 'No webhook yet.'));
    return;
  }
  const rows = webhooks.map((w, i) => h('tr', { 'data-webhook-id': w.id },
    h('td', { 'data-label': 'Webhook' }, h('a', { href: `#/webhooks/${w.id}` }, `#${w.id}`)),
    h('td', { 'data-label': 'Status' }, statusBadge(w.status)),
    h('td', { 'data-label': 'URL', class: 'url' }, w.webhookUrl),
    h('td', { 'data-label': 'Topics' }, h('ul', { class: 'plain' }, w.topics.map((t) => h('li', {}, t)))),
    h('td', { 'data-label': 'Scope' }, scopeText(w)),
    h('td', { 'data-label': 'Last delivery', class: 'last-delivery' },
      outcomeText(lastDeliveries[i]), lastDeliveries[i] ? [' · ', time(lastDeliveries[i].dateCreated)] : null)));
  body.append(h('div', { class: 'table-wrap' }, h('table', { class: 'responsive' },
    h('caption', { class: 'visually-hidden' }, 'Webhooks of the organization'),
    h('thead', {}, h('tr', {}, ['Webhook', 'Status', 'URL', 'Topics', 'Scope', 'Last delivery']
      .map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows))));
  const pager = h('nav', { class: 'pager', 'aria-label': 'Webhook pages' });
  if (offset > 0) {
    pager.append(h('button', { type: 'button', onclick: () => {
      clear(main);
      renderWebhookList(main, portal, Math.max(0, offset - PAGE)).catch((e) => portal.failed(e));
    } }, 'Newer'));
  }
  if (webhooks.length === PAGE) {
    pager.append(h('button', { type: 'button', onclick: () => {
      clear(main);
      renderWebhookList(main, portal, offset + PAGE).catch((e) => portal.failed(e));
    } }, 'Older'));
  }
  if (pager.childElementCount) body.append(pager);
}
