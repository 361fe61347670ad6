// The signed-in token: from the portal-session URL's fragment or pasted by hand, kept for the
// browser tab only (sessionStorage), never in the address bar.
const KEY = 'hookd.portal.token';

// Reads #token=... once, keeps it, and takes it out of the address bar and the history.
export function takeTokenFromFragment() {
  const fragment = location.hash.startsWith('#') ? location.hash.slice(1) : '';
  const params = new URLSearchParams(fragment);
  const token = params.get('token');
  if (!token) return null;
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  save(token.trim());
  return token.trim();
}

export function saved() {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function save(token) {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // Storage off: the token lives as long as the page.
  }
}

export function forget() {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing kept.
  }
}
