// Passkeys (WebAuthn) for Hearth: adding one from the portal, using one
// instead of the authenticator code, and signing in with one alone from the
// sign-in page. Loaded only on those pages. The server makes the options and checks the answers; this file only
// carries them between the server and navigator.credentials, turning the
// base64url strings in the JSON into the ArrayBuffers the browser wants and
// back. Without JavaScript, or in a browser without passkeys, the forms stay
// hidden or disabled and the authenticator code works as before.
(() => {
  'use strict';

  const supported = typeof window.PublicKeyCredential === 'function' &&
    navigator.credentials && typeof navigator.credentials.create === 'function';

  const fromB64url = (s) => {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes.buffer;
  };

  const toB64url = (buf) => {
    const bytes = new Uint8Array(buf);
    let bin = '';
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };

  // post sends the form's CSRF token and extra fields, and returns the JSON
  // answer, or throws with the server's plain-English message.
  const post = async (url, form, extra) => {
    const body = new URLSearchParams();
    body.set('csrf', form.elements.csrf.value);
    for (const [k, v] of Object.entries(extra || {})) body.set(k, v);
    const res = await fetch(url, { method: 'POST', body, credentials: 'same-origin', headers: { Accept: 'application/json' } });
    let data = {};
    try { data = await res.json(); } catch (e) { /* not JSON: a fault page */ }
    if (!res.ok) throw new Error(data.error || 'Something went wrong. Try again.');
    return data;
  };

  const showError = (form, message) => {
    const el = form.querySelector('#passkey-error');
    if (!el) return;
    el.textContent = 'Error: ' + message;
    el.hidden = false;
    const group = form.querySelector('.nhsuk-form-group');
    if (group) group.classList.add('nhsuk-form-group--error');
  };

  // The browser's own refusals (cancelled, timed out) read the same to a person.
  const browserMessage = (err) => (err && err.name === 'NotAllowedError')
    ? 'The passkey request was cancelled or timed out. Try again.'
    : (err && err.message) || 'Something went wrong. Try again.';

  const register = document.querySelector('form[data-passkey="register"]');
  if (register && supported) {
    const button = register.querySelector('button[type="submit"]');
    const note = register.querySelector('.hearth-passkey-needs-js');
    if (note) note.hidden = true;
    button.disabled = false;
    register.addEventListener('submit', async (event) => {
      event.preventDefault();
      button.disabled = true;
      try {
        const opts = await post('/portal/passkeys/options', register);
        const pk = opts.publicKey;
        pk.challenge = fromB64url(pk.challenge);
        pk.user.id = fromB64url(pk.user.id);
        (pk.excludeCredentials || []).forEach((c) => { c.id = fromB64url(c.id); });
        let cred;
        try {
          cred = await navigator.credentials.create({ publicKey: pk });
        } catch (err) {
          throw new Error(browserMessage(err));
        }
        const answer = {
          id: cred.id,
          rawId: toB64url(cred.rawId),
          type: cred.type,
          authenticatorAttachment: cred.authenticatorAttachment || undefined,
          response: {
            clientDataJSON: toB64url(cred.response.clientDataJSON),
            attestationObject: toB64url(cred.response.attestationObject),
            transports: typeof cred.response.getTransports === 'function' ? cred.response.getTransports() : [],
          },
          clientExtensionResults: cred.getClientExtensionResults(),
        };
        const done = await post('/portal/passkeys', register, {
          name: register.elements.name.value,
          credential: JSON.stringify(answer),
        });
        window.location.assign(done.redirect);
      } catch (err) {
        showError(register, err.message);
        button.disabled = false;
      }
    });
  }

  const signin = document.querySelector('form[data-passkey="signin"]');
  if (signin && supported) {
    signin.hidden = false;
    const button = signin.querySelector('button[type="submit"]');
    signin.addEventListener('submit', async (event) => {
      event.preventDefault();
      button.disabled = true;
      try {
        const opts = await post(signin.dataset.options, signin);
        const pk = opts.publicKey;
        pk.challenge = fromB64url(pk.challenge);
        (pk.allowCredentials || []).forEach((c) => { c.id = fromB64url(c.id); });
        let cred;
        try {
          cred = await navigator.credentials.get({ publicKey: pk });
        } catch (err) {
          throw new Error(browserMessage(err));
        }
        const response = {
          clientDataJSON: toB64url(cred.response.clientDataJSON),
          authenticatorData: toB64url(cred.response.authenticatorData),
          signature: toB64url(cred.response.signature),
        };
        if (cred.response.userHandle) response.userHandle = toB64url(cred.response.userHandle);
        const answer = {
          id: cred.id,
          rawId: toB64url(cred.rawId),
          type: cred.type,
          authenticatorAttachment: cred.authenticatorAttachment || undefined,
          response,
          clientExtensionResults: cred.getClientExtensionResults(),
        };
        const done = await post(signin.getAttribute('action'), signin, { credential: JSON.stringify(answer) });
        window.location.assign(done.redirect);
      } catch (err) {
        showError(signin, err.message);
        button.disabled = false;
      }
    });
  }
})();
