// "Partner Wiki": a small app the portal shares with partners, signing users
// in through the portal's OpenID Provider with a certified relying-party
// library (openid-client, from npm). It shows who is signed in and their
// groups and realm, refreshes its tokens on demand, and signs out through
// RP-initiated logout. Sessions live in memory.
//
// Environment: PORTAL_URL (the issuer), WIKI_URL (this app's address),
// WIKI_CLIENT_ID and WIKI_CLIENT_SECRET (the demo seed's registration).
import http from 'node:http';
import crypto from 'node:crypto';
import * as oidc from 'openid-client';

const issuer = (process.env.PORTAL_URL || 'http://127.0.0.1:3300').replace(/\/$/, '');
const base = (process.env.WIKI_URL || 'http://127.0.0.1:3400').replace(/\/$/, '');
const port = Number(new URL(base).port || 80);
const clientId = process.env.WIKI_CLIENT_ID || 'partner-wiki';
const clientSecret = process.env.WIKI_CLIENT_SECRET || 'partner-wiki-demo-secret';
const redirectUri = `${base}/callback`;

let config;
async function provider() {
  if (!config) {
    config = await oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretBasic(clientSecret), {
      // The demo portal is plain http on this machine.
      execute: [oidc.allowInsecureRequests],
    });
  }
  return config;
}

const sessions = new Map();
function session(req, res) {
  const sid = /(?:^|;\s*)wiki_sid=([^;]+)/.exec(req.headers.cookie || '')?.[1];
  if (sid && sessions.has(sid)) return sessions.get(sid);
  const id = crypto.randomBytes(24).toString('base64url');
  const s = { id };
  sessions.set(id, s);
  res.setHeader('Set-Cookie', `wiki_sid=${id}; Path=/; HttpOnly; SameSite=Lax`);
  return s;
}

const esc = (v) =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(res, status, title, body) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · Partner Wiki</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #111">
<main>${body}</main></body></html>`);
}

function redirect(res, location) {
  res.writeHead(303, { Location: location, 'Cache-Control': 'no-store' });
  res.end();
}

function home(res, s, notice) {
  if (!s.claims) {
    return page(
      res,
      200,
      'Welcome',
      `<h1>Partner Wiki</h1>${notice ? `<p role="status">${esc(notice)}</p>` : ''}
<p>You are not signed in.</p><p><a href="/login">Sign in with Partner Portal</a></p>`,
    );
  }
  const c = s.claims;
  const groups = (c.groups || []).map((g) => `<li>${esc(g)}</li>`).join('');
  return page(
    res,
    200,
    'Home',
    `<h1>Partner Wiki</h1>
<p role="status">Signed in as ${esc(c.name)}</p>
${s.message ? `<p role="alert">${esc(s.message)}</p>` : ''}
<dl aria-label="Your claims">
<dt>Name</dt><dd>${esc(c.name)}</dd>
<dt>Email</dt><dd>${esc(c.email)}</dd>
<dt>Username</dt><dd>${esc(c.preferred_username)}</dd>
<dt>Realm</dt><dd>${esc(c.realm)}</dd>
<dt>Subject</dt><dd>${esc(c.sub)}</dd>
</dl>
<h2>Groups</h2><ul aria-label="Your groups">${groups}</ul>
<p>Refreshed ${s.refreshes || 0} times.</p>
<form method="post" action="/refresh"><button type="submit">Refresh tokens</button></form>
<form method="post" action="/logout"><button type="submit">Sign out</button></form>`,
  );
}

async function handle(req, res) {
  const url = new URL(req.url, base);
  const s = session(req, res);
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    return res.end('ok');
  }
  if (url.pathname === '/' && req.method === 'GET') {
    const notice = url.searchParams.get('state') && url.searchParams.get('state') === s.logoutState ? 'You are signed out.' : '';
    return home(res, s, notice);
  }
  if (url.pathname === '/login' && req.method === 'GET') {
    // Third-party initiated login (the portal's app tile) names the issuer.
    const iss = url.searchParams.get('iss');
    if (iss && iss.replace(/\/$/, '') !== issuer) return page(res, 400, 'Refused', '<h1>Unknown issuer</h1>');
    const cfg = await provider();
    s.verifier = oidc.randomPKCECodeVerifier();
    s.state = oidc.randomState();
    s.nonce = oidc.randomNonce();
    const target = oidc.buildAuthorizationUrl(cfg, {
      redirect_uri: redirectUri,
      scope: 'openid profile email offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(s.verifier),
      code_challenge_method: 'S256',
      state: s.state,
      nonce: s.nonce,
    });
    return redirect(res, target.href);
  }
  if (url.pathname === '/callback' && req.method === 'GET') {
    const cfg = await provider();
    try {
      const tokens = await oidc.authorizationCodeGrant(cfg, url, {
        pkceCodeVerifier: s.verifier,
        expectedState: s.state,
        expectedNonce: s.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      // The userinfo endpoint answers the same claims for the access token.
      const info = await oidc.fetchUserInfo(cfg, tokens.access_token, claims.sub);
      s.claims = { ...claims, ...info };
      s.tokens = tokens;
      s.refreshes = 0;
      s.message = '';
      return redirect(res, '/');
    } catch (e) {
      return page(res, 400, 'Sign-in failed', `<h1>Sign-in failed</h1><p role="alert">${esc(e.error || e.message)}</p><p><a href="/login">Try again</a></p>`);
    }
  }
  if (url.pathname === '/refresh' && req.method === 'POST') {
    if (!s.tokens?.refresh_token) return redirect(res, '/');
    try {
      s.tokens = await oidc.refreshTokenGrant(await provider(), s.tokens.refresh_token);
      s.refreshes = (s.refreshes || 0) + 1;
      s.message = '';
    } catch (e) {
      s.message = `Refresh refused: ${e.error || e.message}`;
    }
    return redirect(res, '/');
  }
  if (url.pathname === '/logout' && req.method === 'POST') {
    const idToken = s.tokens?.id_token;
    s.claims = undefined;
    s.tokens = undefined;
    if (!idToken) return redirect(res, '/');
    s.logoutState = oidc.randomState();
    const target = oidc.buildEndSessionUrl(await provider(), {
      id_token_hint: idToken,
      post_logout_redirect_uri: `${base}/`,
      state: s.logoutState,
    });
    return redirect(res, target.href);
  }
  return page(res, 404, 'Not found', '<h1>Not found</h1>');
}

http
  .createServer((req, res) => {
    handle(req, res).catch((e) => {
      console.error(e);
      if (!res.headersSent) page(res, 500, 'Error', `<h1>Something went wrong</h1><p role="alert">${esc(e.message)}</p>`);
    });
  })
  .listen(port, new URL(base).hostname === 'localhost' ? '127.0.0.1' : new URL(base).hostname, () => {
    console.log(`Partner Wiki at ${base} (issuer ${issuer})`);
  });
