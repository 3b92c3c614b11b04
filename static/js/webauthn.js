/* Chorus Pro: security keys and passkeys (WebAuthn), our own code, no third party.

   Forms marked data-webauthn="register" (My account, "Security key") and
   data-webauthn="authenticate" (the second step of the log-in) are hidden until this script
   finds WebAuthn in the browser; a paragraph marked data-webauthn-unavailable says what to do
   otherwise. The server's options (py_webauthn's JSON: binary values in base64url) are turned
   into what navigator.credentials expects with the browser's own parse…FromJSON/toJSON when it
   has them, by hand otherwise. Messages come translated in data-text-* attributes and are
   written in the form's live region. */
(function () {
  "use strict";

  var PKC = window.PublicKeyCredential;

  function b64uToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return bytes.buffer;
  }

  function bufToB64u(buf) {
    var bytes = new Uint8Array(buf), s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: b64uToBuf(c.id) }); });
  }

  function creationOptions(j) {
    if (PKC.parseCreationOptionsFromJSON) { return PKC.parseCreationOptionsFromJSON(j); }
    return Object.assign({}, j, {
      challenge: b64uToBuf(j.challenge),
      user: Object.assign({}, j.user, { id: b64uToBuf(j.user.id) }),
      excludeCredentials: descriptors(j.excludeCredentials)
    });
  }

  function requestOptions(j) {
    if (PKC.parseRequestOptionsFromJSON) { return PKC.parseRequestOptionsFromJSON(j); }
    return Object.assign({}, j, {
      challenge: b64uToBuf(j.challenge),
      allowCredentials: descriptors(j.allowCredentials)
    });
  }

  /* A PublicKeyCredential as the JSON py_webauthn reads. */
  function credentialJSON(cred) {
    if (typeof cred.toJSON === "function") { return cred.toJSON(); }
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: bufToB64u(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || null,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: bufToB64u(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = bufToB64u(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = bufToB64u(r.authenticatorData);
      out.response.signature = bufToB64u(r.signature);
      out.response.userHandle = r.userHandle ? bufToB64u(r.userHandle) : null;
    }
    return out;
  }

  function csrfToken(form) {
    var input = form.querySelector("input[name='csrfmiddlewaretoken']");
    return input ? input.value : "";
  }

  /* POST, answered in JSON; {"redirect": url} is followed at once. */
  function post(form, url, body) {
    var headers = { "X-CSRFToken": csrfToken(form), "Accept": "application/json" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: headers,
      body: body === undefined ? null : JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (data.redirect) {
          window.location.assign(data.redirect);
          return new Promise(function () {}); // the page is leaving
        }
        if (!response.ok) {
          var error = new Error(data.error || "");
          error.name = "ServerRefusal";
          throw error;
        }
        return data;
      });
    });
  }

  function ceremony(form, run) {
    var status = form.querySelector("[data-webauthn-status]");
    var button = form.querySelector("button[type='submit']");
    function say(text) { if (status) { status.textContent = text; } }
    return function (event) {
      event.preventDefault();
      if (button.disabled) { return; }
      button.disabled = true;
      say(form.getAttribute("data-text-working"));
      run().catch(function (error) {
        button.disabled = false;
        if (error && error.name === "ServerRefusal" && error.message) {
          say(error.message);
        } else if (error && error.name === "NotAllowedError") {
          say(form.getAttribute("data-text-cancelled"));
        } else if (error && error.name === "InvalidStateError" && form.hasAttribute("data-text-known")) {
          say(form.getAttribute("data-text-known"));
        } else {
          say(form.getAttribute("data-text-failed"));
        }
      });
    };
  }

  function setupRegister(form) {
    var name = form.querySelector("input[name='name']");
    var credential = form.querySelector("input[name='credential']");
    var submit = ceremony(form, function () {
      return post(form, form.getAttribute("data-options-url"))
        .then(function (options) {
          return navigator.credentials.create({ publicKey: creationOptions(options) });
        })
        .then(function (cred) {
          credential.value = JSON.stringify(credentialJSON(cred));
          form.submit();
        });
    });
    form.addEventListener("submit", function (event) {
      // Without a name the server answers with the form's own error; no key is asked.
      if (!name.value.trim()) { return; }
      submit(event);
    });
  }

  function setupAuthenticate(form) {
    form.addEventListener("submit", ceremony(form, function () {
      var remember = document.getElementById(form.getAttribute("data-remember") || "");
      return post(form, form.getAttribute("data-options-url"))
        .then(function (options) {
          return navigator.credentials.get({ publicKey: requestOptions(options) });
        })
        .then(function (cred) {
          return post(form, form.action, {
            credential: credentialJSON(cred),
            remember: !!(remember && remember.checked)
          });
        });
    }));
  }

  function setup() {
    var forms = document.querySelectorAll("form[data-webauthn]");
    if (!forms.length) { return; }
    var available = !!(PKC && navigator.credentials && window.fetch);
    document.querySelectorAll("[data-webauthn-unavailable]").forEach(function (note) {
      if (available) {
        note.hidden = true;
      } else {
        note.firstChild.textContent = note.getAttribute("data-text-unsupported") + " ";
      }
    });
    if (!available) { return; }
    forms.forEach(function (form) {
      form.hidden = false;
      if (form.getAttribute("data-webauthn") === "register") { setupRegister(form); }
      else { setupAuthenticate(form); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
