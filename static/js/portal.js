/* Chorus Pro onboarding portal: progressive enhancements only. Every page works without it. */
(function () {
  "use strict";

  function focusFirstError() {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); return; }
    var invalid = document.querySelector("[aria-invalid='true']");
    if (invalid) { invalid.focus(); }
  }

  function setupToggles() {
    document.querySelectorAll("button[data-toggle]").forEach(function (button) {
      var target = document.getElementById(button.getAttribute("data-toggle"));
      if (!target) { return; }
      if (target.getAttribute("data-collapsed") === "true") {
        target.hidden = true;
        button.setAttribute("aria-expanded", "false");
      }
      button.addEventListener("click", function () {
        var open = button.getAttribute("aria-expanded") === "true";
        button.setAttribute("aria-expanded", open ? "false" : "true");
        target.hidden = open;
        if (!open) {
          var input = target.querySelector("input, select, textarea");
          if (input) { input.focus(); }
        }
      });
    });
  }

  function setupMasking() {
    document.querySelectorAll("[data-masked-by]").forEach(function (group) {
      var box = document.getElementById(group.getAttribute("data-masked-by"));
      if (!box) { return; }
      var fields = group.querySelectorAll("input, select, textarea");
      fields.forEach(function (field) {
        if (field.required) { field.setAttribute("data-was-required", "true"); }
      });
      function apply() {
        group.hidden = box.checked;
        fields.forEach(function (field) {
          if (field.getAttribute("data-was-required") === "true") { field.required = !box.checked; }
        });
      }
      box.addEventListener("change", apply);
      apply();
    });
  }

  function setupCustomQuestion() {
    var select = document.getElementById("id_secret_question");
    var group = document.getElementById("id_custom_question-group");
    if (!select || !group) { return; }
    function apply() { group.hidden = select.value !== "custom"; }
    select.addEventListener("change", apply);
    apply();
  }

  // Step 1: the hint under the number and the fields shown follow the identifier type.
  // Without JavaScript every field shows and the server validates against the chosen type.
  function setupIdentifierType() {
    var select = document.getElementById("id_identifier_type");
    if (!select) { return; }
    var hints = JSON.parse(select.getAttribute("data-hints") || "{}");
    var hint = document.getElementById("id_siret-hint");
    var groups = document.querySelectorAll("[data-types]");
    function apply() {
      var type = select.value;
      if (hint && hints[type] && hint.firstChild && hint.firstChild.nodeType === 3) {
        hint.firstChild.nodeValue = hints[type] + " ";
      }
      groups.forEach(function (group) {
        group.hidden = group.getAttribute("data-types").split(" ").indexOf(type) === -1;
      });
    }
    select.addEventListener("change", apply);
    apply();
  }

  function evaluate(rule, password) {
    var length = Array.from(password).length;
    if (rule.type === "min_length") { return length >= rule.value; }
    if (rule.type === "max_length") { return length <= rule.value; }
    if (rule.type === "classes") {
      var count = 0;
      rule.classes.forEach(function (cls) {
        if (new RegExp(cls.pattern).test(password)) { count += 1; }
      });
      return count >= rule.value;
    }
    return false;
  }

  function setupMeter() {
    var meter = document.getElementById("password-meter");
    var data = document.getElementById("password-meter-rules");
    if (!meter || !data) { return; }
    var input = document.getElementById(meter.getAttribute("data-for"));
    var bar = document.getElementById("password-meter-bar");
    var text = document.getElementById("password-meter-text");
    var rules = JSON.parse(data.textContent);
    var timer = null;
    function update() {
      var password = input.value;
      var met = 0;
      rules.forEach(function (rule) {
        var ok = password.length > 0 && evaluate(rule, password);
        var item = meter.querySelector("[data-rule='" + rule.id + "']");
        if (item) { item.classList.toggle("met", ok); }
        if (ok) { met += 1; }
      });
      bar.value = met;
      var message = met === rules.length ? text.getAttribute("data-text-ok") : text.getAttribute("data-text-weak");
      // Announce after a pause in typing, not at every key.
      clearTimeout(timer);
      timer = setTimeout(function () { text.textContent = message + " (" + met + "/" + rules.length + ")"; }, 400);
    }
    input.addEventListener("input", update);
    if (input.value) { update(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupToggles();
    setupMasking();
    setupCustomQuestion();
    setupIdentifierType();
    setupMeter();
    focusFirstError();
  });
})();
