// A secret shown once, with a copy button.
import { h } from './dom.js';

async function copy(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input.select();
    return document.execCommand('copy');
  }
}

export function secretPanel(secret, explanation) {
  const input = h('input', { id: 'secret-value', class: 'secret', readonly: true, value: secret,
                             'aria-label': 'Signing secret', spellcheck: 'false' });
  const status = h('span', { class: 'hint', role: 'status' });
  const button = h('button', { type: 'button', class: 'primary', onclick: async () => {
    const ok = await copy(secret, input);
    status.textContent = ok ? 'Copied.' : 'Select the secret and copy it by hand.';
  } }, 'Copy secret');
  return h('div', { class: 'secret-panel' },
    h('p', { class: 'warning' }, h('strong', {}, 'You will not see this again. '), explanation),
    h('div', { class: 'secret-row' }, input, button), status);
}
