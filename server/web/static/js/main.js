// Entry point of pacer's campaign page: sign-in, the campaign list and the
// hash routes #/ (newest campaign), #/campaigns/{id}, #/new and #/import.
// A #token=... fragment signs in and is removed from the address at once.

import { request, getToken, setToken, clearToken, onUnauthorized } from './api.js';
import { h, badge } from './dom.js';
import { showError, clearError, announce } from './notify.js';
import { CampaignView } from './campaign.js';
import { renderNewCampaign, renderImport } from './forms.js';

const LIST_POLL_MS = 5000;

const el = (id) => document.getElementById(id);

let currentView = null;
let listTimer = 0;
let listFailed = false;
let campaigns = [];

function takeTokenFromFragment() {
  const match = /^#token=([^&]+)/.exec(window.location.hash);
  if (!match) return;
  setToken(decodeURIComponent(match[1]));
  // Drop the token from the address bar and the history.
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/`);
}

function showLogin(message) {
  stopView();
  window.clearTimeout(listTimer);
  el('app').hidden = true;
  el('main-nav').hidden = true;
  el('sign-out').hidden = true;
  el('login').hidden = false;
  if (message) showError('Sign in', new Error(message));
  el('login-token').focus();
}

async function signIn(e) {
  e.preventDefault();
  const token = el('login-token').value.trim();
  if (!token) {
    showError('Sign in', new Error('enter an API token'));
    return;
  }
  setToken(token);
  try {
    await request('GET', '/api/campaigns');
  } catch (err) {
    // A rejected token already went through onUnauthorized.
    if (err.status !== 401) showError('Sign in', err);
    else el('login-token').value = '';
    clearToken();
    return;
  }
  el('login-token').value = '';
  clearError();
  enter();
}

function signOut() {
  clearToken();
  clearError();
  showLogin();
  announce('Signed out.');
}

function enter() {
  el('login').hidden = true;
  el('app').hidden = false;
  el('main-nav').hidden = false;
  el('sign-out').hidden = false;
  refreshList().then(route);
}

// refreshList reads the campaigns, newest first, redraws the list and
// schedules the next read.
async function refreshList() {
  window.clearTimeout(listTimer);
  if (!getToken()) return;
  try {
    campaigns = ((await request('GET', '/api/campaigns')) || []).sort((a, b) => b.id - a.id);
    listFailed = false;
    drawList();
  } catch (err) {
    if (err.status === 401) return;
    // Report an outage once, not on every refresh, and keep trying.
    if (!listFailed) showError('Reading campaigns', err);
    listFailed = true;
  }
  listTimer = window.setTimeout(refreshList, LIST_POLL_MS);
}

function drawList() {
  const selected = currentRoute().id;
  el('campaign-list').replaceChildren(...campaigns.map((c) => h('li', null,
    h('a', { href: `#/campaigns/${c.id}`, 'aria-current': c.id === selected ? 'page' : null, 'data-id': c.id },
      h('span', { class: 'campaign-name' }, c.name), badge(c.status)))));
  el('campaign-list-empty').hidden = campaigns.length > 0;
}

// updateListStatus shows a status the campaign view read before the next
// list refresh does.
function updateListStatus(id, status) {
  const c = campaigns.find((x) => x.id === id);
  if (c && c.status !== status) {
    c.status = status;
    drawList();
  }
}

function currentRoute() {
  const hash = window.location.hash || '#/';
  const m = /^#\/campaigns\/(\d+)$/.exec(hash);
  if (m) return { name: 'campaign', id: Number(m[1]) };
  if (hash === '#/new') return { name: 'new' };
  if (hash === '#/import') return { name: 'import' };
  return { name: 'home' };
}

function stopView() {
  if (currentView) currentView.destroy();
  currentView = null;
}

function focusHeading(root) {
  const heading = root.querySelector('h1');
  if (heading) heading.focus();
}

async function route() {
  if (!getToken()) return;
  stopView();
  const r = currentRoute();
  // Each route renders into a fresh container, so a slow form load that
  // finishes after the user moved on writes into a detached element.
  const root = h('div');
  el('view').replaceChildren(root);
  for (const link of document.querySelectorAll('#main-nav a')) {
    const current = link.getAttribute('href') === (window.location.hash || '#/');
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  drawList();
  switch (r.name) {
    case 'campaign':
      currentView = new CampaignView(root, r.id, updateListStatus);
      currentView.mount();
      focusHeading(root);
      break;
    case 'new':
      await renderNewCampaign(root, (c) => {
        refreshList();
        window.location.hash = `#/campaigns/${c.id}`;
      });
      focusHeading(root);
      break;
    case 'import':
      await renderImport(root);
      focusHeading(root);
      break;
    default:
      if (campaigns.length > 0) {
        window.location.replace(`#/campaigns/${campaigns[0].id}`);
        return;
      }
      root.replaceChildren(h('h1', { tabindex: '-1' }, 'No campaigns yet'),
        h('p', null, 'Start by ', h('a', { href: '#/import' }, 'importing a list'), ', then ',
          h('a', { href: '#/new' }, 'create a campaign'), '.'));
  }
}

function boot() {
  takeTokenFromFragment();
  el('login-form').addEventListener('submit', signIn);
  el('sign-out').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);
  onUnauthorized(() => {
    clearToken();
    showLogin('the API rejected the token: enter a valid one (server token create NAME prints a new one)');
  });
  if (getToken()) enter();
  else showLogin();
}

boot();
