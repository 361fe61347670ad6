// The portal's entry: sign-in, the hash routes, and what every page shares.
import { ApiError, createClient } from './api.js';
import { renderCatalog } from './catalog.js';
import { renderDelivery } from './delivery_page.js';
import { announce, clear, h } from './dom.js';
import * as session from './session.js';
import { renderWebhook } from './webhook_page.js';
import { renderWebhookForm } from './webhook_form.js';
import { renderWebhookList } from './webhook_list.js';

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));

/** @typedef {ReturnType<typeof createClient>} Client */
/** @typedef {import('hookd-api').components['schemas']['PortalCaller']} Caller */
/**
 * The portal as a page sees it: signed in, its token's organization and role known.
 * @typedef {typeof portal & { client: Client, session: Caller }} Portal
 */

// What the pages share. session: who the token is (GET /portal/session), known before any page.
const portal = {
  client: /** @type {Client | null} */ (null),
  session: /** @type {Caller | null} */ (null),
  asked: /** @type {Promise<void> | null} */ (null),
  timers: /** @type {Set<ReturnType<typeof setInterval>>} */ (new Set()),
  // Runs `fn` every `ms` until the page changes.
  /** @param {number} ms @param {() => void} fn */
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    this.timers.add(timer);
    return () => {
      clearInterval(timer);
      this.timers.delete(timer);
    };
  },
  /** @param {string} path */
  go(path) {
    if (location.hash === `#${path}`) route();
    else location.hash = path;
  },
  // An API failure: a refused session goes back to sign-in; anything else is shown in place.
  /** @param {unknown} error @param {Element} [where] */
  failed(error, where) {
    if (error instanceof ApiError && error.status === 401) {
      signOut('This session has expired or is not valid any more. Sign in again.');
      return;
    }
    // Refused before the session is known: the token is not an organization's (a platform token).
    if (error instanceof ApiError && error.status === 403 && !portal.session) {
      signOut('This portal takes an admin or read token of an organization, or a portal link.');
      return;
    }
    const text = error instanceof ApiError ? `${error.message} (${error.code || error.status})`
                                           : `The portal could not reach hookd: ${error instanceof Error ? error.message : error}`;
    const box = h('p', { class: 'error', role: 'alert' }, text);
    if (where) {
      clear(where);
      where.append(box);
    } else {
      main.prepend(box);
    }
  },
};

function stopTimers() {
  for (const timer of portal.timers) clearInterval(timer);
  portal.timers.clear();
}

/** @param {string} token */
function signIn(token) {
  session.save(token);
  portal.client = createClient(token);
  portal.session = null;
  portal.asked = null;
  nav.hidden = false;
}

// Who the token is, asked once per sign-in (again after a failed ask).
/** @param {Client} client */
function whoAmI(client) {
  portal.asked ??= client.getSession().then((caller) => {
    portal.session = caller;
  }, (error) => {
    portal.asked = null;
    throw error;
  });
  return portal.asked;
}

/**
 * @param {typeof portal} p
 * @returns {p is Portal}
 */
const signedIn = (p) => p.client !== null && p.session !== null;

/** @param {string} [message] */
function signOut(message) {
  session.forget();
  portal.client = null;
  portal.session = null;
  portal.asked = null;
  nav.hidden = true;
  stopTimers();
  renderSignIn(message);
}

/** @param {string} [message] */
function renderSignIn(message) {
  clear(main);
  document.title = 'Sign in · Webhooks portal';
  const input = h('input', {
    id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true,
    'aria-describedby': 'token-help', spellcheck: 'false',
  });
  const form = h('form', { class: 'card sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    message ? h('p', { class: 'error', role: 'alert' }, message) : null,
    h('label', { for: 'token' }, 'Access token'),
    input,
    h('p', { id: 'token-help', class: 'hint' },
      'Open the portal link you were given, or paste an admin or read token of your organization.'),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    signIn(token);
    portal.go('/');
  });
  main.append(form);
  input.focus();
}

/** @type {[RegExp, (m: RegExpMatchArray, p: Portal) => unknown][]} */
const routes = [
  [/^\/?$/, (m, p) => renderWebhookList(main, p)],
  [/^\/new$/, (m, p) => renderWebhookForm(main, p, null)],
  [/^\/catalog$/, () => renderCatalog(main)],
  [/^\/webhooks\/(\d+)$/, (m, p) => renderWebhook(main, p, Number(m[1]))],
  [/^\/webhooks\/(\d+)\/edit$/, (m, p) => renderWebhookForm(main, p, Number(m[1]))],
  [/^\/webhooks\/(\d+)\/deliveries\/(\d+)$/, (m, p) => renderDelivery(main, p, Number(m[1]), Number(m[2]))],
];

function route() {
  stopTimers();
  const client = portal.client;
  if (!client) return renderSignIn();
  const path = decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
  for (const link of nav.querySelectorAll('a')) {
    const current = link.getAttribute('href') === `#${path}` ||
                    (link.getAttribute('href') === '#/' && path.startsWith('/webhooks'));
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  clear(main);
  for (const [pattern, render] of routes) {
    const match = path.match(pattern);
    if (!match) continue;
    whoAmI(client)
      .then(() => (signedIn(portal) ? render(match, portal) : undefined))
      .catch((error) => portal.failed(error));
    main.focus({ preventScroll: true });
    return;
  }
  main.append(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the webhooks')));
}

/** @type {HTMLElement} */ (document.getElementById('sign-out')).addEventListener('click', () => {
  signOut();
  announce('Signed out');
});
window.addEventListener('hashchange', () => {
  // A portal-session link opened in a tab that is already signed in.
  const token = session.takeTokenFromFragment();
  if (token) signIn(token);
  route();
});

const token = session.takeTokenFromFragment() || session.saved();
if (token) signIn(token);
route();
