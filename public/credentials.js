// Passkeys on the portal's own sign-in pages (server/src/hosted.rs): shows the
// passkey controls where the browser has WebAuthn, and runs the two ceremonies
// against the server's JSON endpoints. Everything else on those pages is a
// plain form that works without this script.

const b64url = {
  decode(text) {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  },
  encode(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = '';
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  },
};

async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `The server answered ${response.status}.`);
  return answer;
}

function say(container, message) {
  const status = container.querySelector('[data-passkey-status]');
  if (status) status.textContent = message;
}

async function register(button) {
  const container = button.closest('[data-passkey-only]');
  const nameField = document.getElementById(button.dataset.nameField || '');
  say(container, 'Follow your browser’s prompt…');
  const options = await post('/signin/enroll/passkey/options');
  const pk = options.publicKey;
  pk.challenge = b64url.decode(pk.challenge);
  pk.user.id = b64url.decode(pk.user.id);
  for (const c of pk.excludeCredentials || []) c.id = b64url.decode(c.id);
  const credential = await navigator.credentials.create({ publicKey: pk });
  const answer = await post('/signin/enroll/passkey', {
    name: nameField ? nameField.value : 'Passkey',
    credential: {
      id: credential.id,
      rawId: b64url.encode(credential.rawId),
      type: credential.type,
      extensions: credential.getClientExtensionResults(),
      response: {
        attestationObject: b64url.encode(credential.response.attestationObject),
        clientDataJSON: b64url.encode(credential.response.clientDataJSON),
        transports: credential.response.getTransports ? credential.response.getTransports() : undefined,
      },
    },
  });
  if (answer.reload) {
    const url = new URL(window.location.href);
    url.searchParams.set('added', 'passkey');
    window.location.assign(url.toString());
  } else {
    say(container, answer.message || 'Passkey added.');
  }
}

async function signIn(button) {
  const container = button.closest('[data-passkey-only]');
  const loginField = document.getElementById(button.dataset.loginField || '');
  say(container, 'Follow your browser’s prompt…');
  const options = await post('/signin/passkey/options', { login: loginField ? loginField.value : undefined });
  const pk = options.publicKey;
  pk.challenge = b64url.decode(pk.challenge);
  for (const c of pk.allowCredentials || []) c.id = b64url.decode(c.id);
  const assertion = await navigator.credentials.get({ publicKey: pk });
  const answer = await post('/signin/passkey', {
    id: assertion.id,
    rawId: b64url.encode(assertion.rawId),
    type: assertion.type,
    extensions: assertion.getClientExtensionResults(),
    response: {
      authenticatorData: b64url.encode(assertion.response.authenticatorData),
      clientDataJSON: b64url.encode(assertion.response.clientDataJSON),
      signature: b64url.encode(assertion.response.signature),
      userHandle: assertion.response.userHandle ? b64url.encode(assertion.response.userHandle) : null,
    },
  });
  window.location.assign(answer.redirect || '/me');
}

function wire() {
  if (!window.PublicKeyCredential || !navigator.credentials) return;
  for (const el of document.querySelectorAll('[data-passkey-only]')) el.hidden = false;
  const run = (button, ceremony) => {
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await ceremony(button);
      } catch (error) {
        say(button.closest('[data-passkey-only]'), error && error.message ? error.message : 'The passkey did not work.');
      } finally {
        button.disabled = false;
      }
    });
  };
  for (const b of document.querySelectorAll('[data-passkey-register]')) run(b, register);
  for (const b of document.querySelectorAll('[data-passkey-signin]')) run(b, signIn);
}

wire();
