/* Chorus Pro: the proof-of-work check (ALTCHA) on the forms robots post.

   The server signs a challenge into the page (data-altcha on .altcha, see
   templates/common/_altcha.html); this script finds the number n for which
   SHA-256(salt + n) is the challenge, with the browser's own WebCrypto, and puts the payload
   the server verifies (base64 JSON) in the hidden "altcha" field. It starts at the first focus
   in the form (or at once, data-altcha-start="load"); a submit waits for it. Nothing to solve
   for the person: a status line says what happens. Without this script (or without WebCrypto)
   the forms are sent without the field, which the server accepts at a stricter rate. */
(function () {
  "use strict";

  var BATCH = 500; // digests in flight at once: one await per digest would be slow
  var USED_KEY = "altcha-used";

  function bytesOfHex(hex) {
    var bytes = new Uint8Array(hex.length / 2);
    for (var i = 0; i < bytes.length; i++) { bytes[i] = parseInt(hex.substr(i * 2, 2), 16); }
    return bytes;
  }

  function same(buffer, target) {
    var bytes = new Uint8Array(buffer);
    if (bytes.length !== target.length) { return false; }
    for (var i = 0; i < bytes.length; i++) { if (bytes[i] !== target[i]) { return false; } }
    return true;
  }

  /* The number, or null when none up to maxNumber gives the challenge. */
  function solve(challenge) {
    var encoder = new TextEncoder();
    var target = bytesOfHex(challenge.challenge);
    function batch(start) {
      if (start > challenge.maxNumber) { return Promise.resolve(null); }
      var end = Math.min(start + BATCH - 1, challenge.maxNumber);
      var digests = [];
      for (var n = start; n <= end; n++) {
        digests.push(crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n)));
      }
      return Promise.all(digests).then(function (results) {
        for (var i = 0; i < results.length; i++) {
          if (same(results[i], target)) { return start + i; }
        }
        return batch(end + 1);
      });
    }
    return batch(0);
  }

  /* Challenges already sent, in this tab: a page restored by the Back button still carries
     its old challenge, whose solution the server would refuse as a replay. */
  function usedList() {
    try { return JSON.parse(sessionStorage.getItem(USED_KEY) || "[]"); } catch (e) { return []; }
  }

  function markUsed(signature) {
    try {
      var used = usedList().slice(-20);
      used.push(signature);
      sessionStorage.setItem(USED_KEY, JSON.stringify(used));
    } catch (e) { /* private mode: nothing to remember */ }
  }

  function setup(widget) {
    var form = widget.closest("form");
    var input = widget.querySelector("input[name='altcha']");
    var status = widget.querySelector(".altcha-status");
    var challenge;
    try { challenge = JSON.parse(widget.getAttribute("data-altcha")); } catch (e) { return; }
    if (!form || !input || !status || !challenge) { return; }
    if (!(window.crypto && crypto.subtle && window.TextEncoder)) { return; } // sent without it
    var pending = null;
    var waiting = false;
    var spent = false;

    function say(name) { status.textContent = widget.getAttribute("data-text-" + name) || ""; }

    function start() {
      if (spent) { return Promise.resolve(); }
      if (!pending) {
        say("working");
        pending = solve(challenge).then(function (number) {
          if (number === null) { throw new Error("no solution"); }
          input.value = btoa(JSON.stringify({
            algorithm: challenge.algorithm,
            challenge: challenge.challenge,
            number: number,
            salt: challenge.salt,
            signature: challenge.signature
          }));
          say("done");
        }).catch(function () {
          input.value = "";
          say("failed");
        });
      }
      return pending;
    }

    function forget() {
      // This page's challenge was sent already: send the form without it from now on.
      spent = true;
      waiting = false;
      input.value = "";
      status.textContent = "";
    }

    input.value = ""; // never a value the browser restored
    if (usedList().indexOf(challenge.signature) !== -1) {
      forget();
    } else if (widget.getAttribute("data-altcha-start") === "load") {
      start();
    } else {
      form.addEventListener("focusin", start, { once: true });
    }

    form.addEventListener("submit", function (event) {
      if (spent || input.value) {
        if (input.value) { markUsed(challenge.signature); }
        return;
      }
      event.preventDefault();
      if (waiting) { return; } // a second press while the check runs
      waiting = true;
      var submitter = event.submitter || null;
      start().then(function () {
        if (!input.value) { spent = true; } // the check failed: send without it
        if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
      });
    });

    window.addEventListener("pageshow", function (event) {
      if (event.persisted && usedList().indexOf(challenge.signature) !== -1) { forget(); }
    });
  }

  function init() {
    document.querySelectorAll(".altcha[data-altcha]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
