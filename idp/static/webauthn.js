// Passkeys: the browser half of the WebAuthn ceremonies (idp/passkeys.py is the server half).
// Progressive enhancement: forms marked data-passkey-login / data-passkey-register stay
// hidden unless this browser supports WebAuthn. No inline script (the CSP forbids it).
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) { return; }

  function fromB64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }
  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: fromB64url(d.id), transports: d.transports };
    });
  }
  function creationOptions(o) {
    o.challenge = fromB64url(o.challenge);
    o.user.id = fromB64url(o.user.id);
    o.excludeCredentials = descriptors(o.excludeCredentials);
    return o;
  }
  function requestOptions(o) {
    o.challenge = fromB64url(o.challenge);
    o.allowCredentials = descriptors(o.allowCredentials);
    return o;
  }
  function credentialJSON(c) {
    if (typeof c.toJSON === "function") { return JSON.stringify(c.toJSON()); }
    var r = c.response, out = { id: c.id, rawId: toB64url(c.rawId), type: c.type, response: {} };
    out.response.clientDataJSON = toB64url(r.clientDataJSON);
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      if (r.userHandle) { out.response.userHandle = toB64url(r.userHandle); }
    }
    out.clientExtensionResults = c.getClientExtensionResults ? c.getClientExtensionResults() : {};
    return JSON.stringify(out);
  }
  function wire(form, create) {
    form.hidden = false;
    var button = form.querySelector("[data-passkey-start]");
    var problem = form.querySelector("[data-passkey-error]");
    button.addEventListener("click", function () {
      if (problem) { problem.hidden = true; }
      var body = new FormData();
      body.append("csrf_token", form.elements.csrf_token.value);
      fetch(form.dataset.options, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error("options " + r.status); } return r.json(); })
        .then(function (data) {
          form.elements.ceremony.value = data.ceremony;
          return create
            ? navigator.credentials.create({ publicKey: creationOptions(data.options) })
            : navigator.credentials.get({ publicKey: requestOptions(data.options) });
        })
        .then(function (credential) {
          form.elements.credential.value = credentialJSON(credential);
          form.submit();
        })
        .catch(function () { if (problem) { problem.hidden = false; } });
    });
  }
  document.querySelectorAll("[data-passkey-login]").forEach(function (f) { wire(f, false); });
  document.querySelectorAll("[data-passkey-register]").forEach(function (f) { wire(f, true); });
})();
