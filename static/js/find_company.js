/* "Find my company" at step 1: an ARIA 1.2 combobox (editable, list autocomplete) over the
   search of the Sirene mirror. Without JavaScript the same fields submit to a results page. */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_match, name) { return values[name]; });
  }

  function setup(root) {
    var input = document.getElementById("find-q");
    var place = document.getElementById("find-place");
    var listbox = document.getElementById("find-results");
    var status = document.getElementById("find-status");
    var siret = document.getElementById("id_siret");
    if (!input || !listbox || !siret) { return; }
    var url = root.getAttribute("data-url");
    var timer = null;
    var active = -1;
    var results = [];
    var generation = 0;

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = listbox.querySelectorAll("[role='option']");
      options.forEach(function (option, position) {
        option.setAttribute("aria-selected", position === index ? "true" : "false");
      });
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var result = results[index];
      if (!result) { return; }
      siret.value = result.siret;
      close();
      status.textContent = format(root.getAttribute("data-msg-filled"), { siret: result.siret });
      siret.focus();
    }

    function render(data) {
      results = data.results || [];
      listbox.textContent = "";
      results.forEach(function (result, index) {
        var option = document.createElement("li");
        option.id = "find-option-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var name = document.createElement("strong");
        name.textContent = result.name || result.siret;
        option.appendChild(name);
        var details = [result.siret];
        if (result.is_head_office) { details.push(root.getAttribute("data-msg-head-office")); }
        details.push(result.address || root.getAttribute("data-msg-not-public"));
        option.appendChild(document.createElement("br"));
        option.appendChild(document.createTextNode(details.join(" · ")));
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { choose(index); });
        listbox.appendChild(option);
      });
      if (results.length) {
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = format(root.getAttribute("data-msg-count"), { count: results.length });
      } else {
        close();
        status.textContent = root.getAttribute(
          data.unavailable ? "data-msg-unavailable" : "data-msg-none");
      }
      active = -1;
    }

    function search() {
      var query = input.value.trim();
      if (query.replace(/\s/g, "").length < 3) { close(); status.textContent = ""; return; }
      var mine = ++generation;
      var params = new URLSearchParams({ format: "json", q: query, place: place ? place.value.trim() : "" });
      fetch(url + "?" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (mine !== generation) { return null; }
          if (response.status === 429) {
            close();
            status.textContent = root.getAttribute("data-msg-throttled");
            return null;
          }
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) { if (data && mine === generation) { render(data); } })
        .catch(function () { status.textContent = root.getAttribute("data-msg-unavailable"); });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 300);
    }

    input.addEventListener("input", later);
    if (place) { place.addEventListener("input", later); }
    input.addEventListener("keydown", function (event) {
      var count = results.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (listbox.hidden && count) { listbox.hidden = false; input.setAttribute("aria-expanded", "true"); }
        if (count) { highlight((active + 1) % count); }
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (count) { highlight(active <= 0 ? count - 1 : active - 1); }
      } else if (event.key === "Enter") {
        if (!listbox.hidden && active >= 0) { event.preventDefault(); choose(active); }
      } else if (event.key === "Escape") {
        if (!listbox.hidden) { event.preventDefault(); close(); } else { input.value = ""; }
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-find-company]").forEach(setup);
  });
})();
