// The dev identity provider: three real OpenID providers (oidc-provider) in one
// process — the host company's org IdP and two partner companies' IdPs — with
// demo accounts that sign in with a password. For `make run` and the end-to-end
// tests only; never for production.
import http from 'node:http';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

// oidc-provider 9 warns at start that it wants Node 22 (it works on Node 20) and
// that its store is in memory (intended here): keep those start-up lines quiet.
const consoleWarn = console.warn;
console.warn = (...args) => {
  if (!String(args[0]).startsWith('oidc-provider WARNING:')) consoleWarn(...args);
};
const { default: Provider, errors } = await import('oidc-provider');

const port = Number(process.env.DEV_IDP_PORT || 5556);
const host = '127.0.0.1';
const portalUrls = (process.env.PORTAL_URLS || process.env.PORTAL_URL || 'http://127.0.0.1:3000')
  .split(',')
  .map((u) => u.trim().replace(/\/$/, ''))
  .filter(Boolean);
const cookieKey = process.env.DEV_IDP_COOKIE_KEY || 'dev-idp-cookie-key-not-for-production';
const data = JSON.parse(readFileSync(new URL('./accounts.json', import.meta.url), 'utf8'));

const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#111827}
label{display:block;margin-top:1rem;font-weight:600}
input{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;border:1px solid #6b7280;border-radius:.375rem}
button{margin-top:1.25rem;padding:.5rem 1rem;background:#1d4ed8;color:#fff;border:0;border-radius:.375rem;font-size:1rem}
.error{color:#991b1b;background:#fef2f2;border:1px solid #fca5a5;padding:.5rem;border-radius:.375rem}
</style></head><body><main>${body}</main></body></html>`;
}

function subjectFor(issuerName, email) {
  return createHash('sha256').update(`${issuerName}:${email.toLowerCase()}`).digest('hex').slice(0, 24);
}

// Each issuer signs with its own key, made at start: a token from one issuer never
// verifies against another's JWKS.
function signingKeys(name) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: `${name}-${Date.now()}`, alg: 'RS256', use: 'sig' }] };
}

function makeProvider(name, config) {
  const prefix = `/${name}`;
  const issuer = `http://${host}:${port}${prefix}`;
  const accounts = new Map(
    config.accounts.map((a) => [subjectFor(name, a.email), { ...a, sub: subjectFor(name, a.email) }]),
  );
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'partner-portal',
        client_secret: `dev-secret-${name}`,
        redirect_uris: portalUrls.map((u) => `${u}/auth/callback`),
        post_logout_redirect_uris: portalUrls.map((u) => `${u}/`),
        grant_types: ['authorization_code'],
        response_types: ['code'],
        // oidc-provider also takes the secret in the form body (client_secret_post).
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
      phone: ['phone_number'],
    },
    scopes: ['openid', 'email', 'profile', 'phone'],
    cookies: { keys: [cookieKey] },
    jwks: signingKeys(name),
    // Explicit lifetimes (seconds), which also keeps oidc-provider's notices quiet.
    ttl: { Interaction: 3600, Session: 8 * 3600, Grant: 8 * 3600, AccessToken: 3600, IdToken: 3600 },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page(
            'Sign out',
            `<h1>Sign out of ${escapeHtml(config.title)}?</h1>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`,
          );
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page('Signed out', '<h1>You are signed out.</h1>');
        },
      },
    },
    interactions: { url: (ctx, interaction) => `${prefix}/interaction/${interaction.uid}` },
    findAccount: async (ctx, sub) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          email: account.email,
          email_verified: true,
          name: `${account.given_name} ${account.family_name}`,
          given_name: account.given_name,
          family_name: account.family_name,
          ...(account.phone_number ? { phone_number: account.phone_number } : {}),
        }),
      };
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in error', `<h1>Sign-in error</h1><p class="error" role="alert">${escapeHtml(out.error)}: ${escapeHtml(out.error_description || '')}</p>`);
    },
  });
  provider.proxy = false;
  provider.on('server_error', (ctx, err) => console.error(`[${name}] server error`, err));
  return { name, prefix, issuer, provider, accounts, config };
}

const providers = Object.entries(data.issuers).map(([name, config]) => makeProvider(name, config));
console.warn = consoleWarn;

function loginForm(p, uid, { email = '', error = '' } = {}) {
  return page(
    p.config.title,
    `<h1>${escapeHtml(p.config.title)}</h1>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${p.prefix}/interaction/${escapeHtml(uid)}/login" autocomplete="off">
  <label for="email">Email</label>
  <input id="email" name="email" type="text" value="${escapeHtml(email)}" autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password">
  <button type="submit">Sign in</button>
</form>`,
  );
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16384) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

async function handleInteraction(p, req, res, rest) {
  const match = rest.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return false;
  const [, uid, login] = match;
  const details = await p.provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, page('Sign-in error', '<h1>This sign-in link has expired.</h1>'));
    return true;
  }
  if (details.prompt.name === 'consent') {
    // The portal is a first-party client: consent is implied.
    const grant = details.grantId
      ? await p.provider.Grant.find(details.grantId)
      : new p.provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    if (details.prompt.details.missingOIDCScope) grant.addOIDCScope(details.prompt.details.missingOIDCScope.join(' '));
    if (details.prompt.details.missingOIDCClaims) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    await p.provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return true;
  }
  if (!login || req.method !== 'POST') {
    send(res, 200, loginForm(p, uid, { email: details.params.login_hint || '' }));
    return true;
  }
  const form = await readForm(req);
  const email = (form.get('email') || '').trim().toLowerCase();
  const account = [...p.accounts.values()].find((a) => a.email === email);
  if (!account || form.get('password') !== data.password) {
    send(res, 401, loginForm(p, uid, { email, error: 'Invalid email or password' }));
    return true;
  }
  await p.provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
  return true;
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, `http://${host}:${port}`);
    const p = providers.find((x) => url.pathname === x.prefix || url.pathname.startsWith(`${x.prefix}/`));
    if (!p) {
      send(res, 404, page('Dev identity provider', `<h1>Dev identity provider</h1><ul>${providers.map((x) => `<li>${escapeHtml(x.issuer)}</li>`).join('')}</ul>`));
      return;
    }
    const rest = url.pathname.slice(p.prefix.length) || '/';
    if (rest.startsWith('/interaction/') && (await handleInteraction(p, req, res, rest))) return;
    req.originalUrl = req.url;
    req.url = req.url.slice(p.prefix.length) || '/';
    p.provider.callback()(req, res);
  } catch (err) {
    if (err instanceof errors.SessionNotFound) {
      // No or stale interaction cookie: a bookmarked or replayed sign-in page.
      send(res, 400, page('Sign-in expired', '<h1>This sign-in has expired.</h1><p>Go back to the portal and sign in again.</p>'));
      return;
    }
    console.error('dev IdP error', err);
    if (!res.headersSent) send(res, 500, page('Error', '<h1>The dev identity provider failed.</h1>'));
  }
});

server.on('error', (err) => {
  console.error(`error: dev IdP cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  console.log(`dev IdP ready: http://${host}:${port}/{${providers.map((p) => p.name).join(',')}}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
