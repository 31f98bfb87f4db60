// The page's two live regions: #alert (role=alert) for errors, announced at
// once, and #announcer (role=status) for quiet notices such as a status change.

import { h } from './dom.js';

// showError puts one error message into the alert region, replacing the
// previous one. context names the action that failed, such as "Pause".
export function showError(context, err) {
  const region = document.getElementById('alert');
  const message = err && err.message ? err.message : String(err);
  const text = context ? `${context} failed: ${message}` : message;
  region.replaceChildren(h('div', { class: 'alert' },
    h('p', null, text),
    h('button', { type: 'button', class: 'button-quiet', onclick: clearError }, 'Dismiss')));
}

// clearError empties the alert region.
export function clearError() {
  document.getElementById('alert').replaceChildren();
}

// announce reads a short notice to screen readers without moving focus.
export function announce(text) {
  const region = document.getElementById('announcer');
  // Clearing first makes a repeated notice count as a change.
  region.textContent = '';
  window.setTimeout(() => { region.textContent = text; }, 50);
}
