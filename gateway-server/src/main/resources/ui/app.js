import { clear, h } from './dom.js';
import * as session from './session.js';
import * as oidc from './oidc.js';
import { approvalsPage, approvalPage } from './approvals.js';
import { exchangesPage, exchangePage } from './exchanges.js';
import { auditPage } from './audit.js';
import { policyPage } from './policy.js';

const view = document.getElementById('view');
let cleanup = () => {};

/** The UI's routes under /ui/; each page answers a function that stops its timers. */
const routes = [
  [/^\/ui\/?$/, () => approvalsPage(view)],
  [/^\/ui\/approvals\/?$/, () => approvalsPage(view)],
  [/^\/ui\/approvals\/([A-Za-z0-9_-]+)$/, (id) => approvalPage(view, id)],
  [/^\/ui\/exchanges\/?$/, () => exchangesPage(view)],
  [/^\/ui\/exchanges\/([A-Za-z0-9_-]+)$/, (id) => exchangePage(view, id)],
  [/^\/ui\/audit\/?$/, () => auditPage(view)],
  [/^\/ui\/policy\/?$/, () => policyPage(view)],
];

export function navigate(path) {
  history.pushState(null, '', path);
  render();
}

function render() {
  cleanup();
  cleanup = () => {};
  if (!session.token() || session.expired()) {
    session.logout();
    showLogin();
    return;
  }
  showUser();
  const path = location.pathname;
  for (const link of document.querySelectorAll('#nav a')) {
    link.classList.toggle('active', path.startsWith(`/ui/${link.dataset.page}`));
  }
  for (const [pattern, page] of routes) {
    const match = pattern.exec(path);
    if (match) {
      cleanup = page(...match.slice(1)) ?? (() => {});
      return;
    }
  }
  clear(view).append(h('section', { class: 'card' }, h('h1', {}, 'Not found'), `No page at ${path}.`));
}

function showLogin(message = '') {
  document.getElementById('nav').hidden = true;
  document.getElementById('who').hidden = true;
  const form = document.getElementById('login-template').content.cloneNode(true);
  clear(view).append(form);
  const error = document.getElementById('login-error');
  error.textContent = message;
  const providerList = document.getElementById('login-providers');
  oidc.providers().then((providers) => {
    for (const provider of providers) {
      const button = h('button', { type: 'button', class: 'sign-in' }, `Sign in with ${provider.issuer}`);
      button.addEventListener('click', () => {
        error.textContent = '';
        oidc.begin(provider).catch((e) => {
          error.textContent = e.message;
        });
      });
      providerList.append(button);
    }
    providerList.hidden = providers.length === 0;
  });
  document.getElementById('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    try {
      session.login(document.getElementById('token').value);
      render();
    } catch (e) {
      error.textContent = e.message;
    }
  });
  document.getElementById('token').focus();
}

function showUser() {
  const claims = session.claims() ?? {};
  document.getElementById('nav').hidden = false;
  document.getElementById('who').hidden = false;
  document.getElementById('who-sub').textContent = claims.sub ?? '(no sub)';
  const groups = session.groups(claims);
  document.getElementById('who-groups').textContent = groups.length ? `(${groups.join(', ')})` : '';
}

document.getElementById('logout').addEventListener('click', () => {
  session.logout();
  render();
});

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-link]');
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(link.getAttribute('href'));
});

window.addEventListener('popstate', render);

// A token the gateway no longer accepts (expired, revoked): back to the login form, saying why.
window.addEventListener('jitgw:unauthorized', (event) => {
  session.logout();
  cleanup();
  cleanup = () => {};
  showLogin(`The gateway refused the token: ${event.detail}`);
});

// Back from an issuer's sign-in page: exchange the code first, then show the page asked for.
oidc.complete().then(
  () => render(),
  (e) => {
    session.logout();
    showLogin(e.message);
  },
);
