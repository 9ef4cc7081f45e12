/* Autocomplete for the search box: the WAI-ARIA 1.2 combobox pattern
   (an input with a listbox popup). The box is a plain search field until
   this script runs, so the page works without JavaScript; suggestions
   come from the input's data-suggest URL (/api/suggest), which the page's
   CSP allows (connect-src 'self'). Suggestions are set as text, never as markup. */
(function () {
  "use strict";

  var DELAY_MS = 120; // one request per pause in typing, not per key

  function enhance(input) {
    var url = input.getAttribute("data-suggest");
    var row = input.closest(".search-row") || input.parentNode;
    var listId = input.id + "-suggestions";
    var list = document.createElement("ul");
    var status = document.createElement("div");
    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0; // answers to older requests are dropped
    var typed = input.value;

    list.id = listId;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Gợi ý tìm kiếm");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    row.classList.add("has-suggestions");
    row.appendChild(list);
    row.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function show(suggestions) {
      list.textContent = "";
      options = suggestions.map(function (text, index) {
        var option = document.createElement("li");
        option.id = listId + "-" + index;
        option.className = "suggestion-option";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = text;
        // mousedown, not click: the input must not lose focus first.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        list.appendChild(option);
        return option;
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (options.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = options.length + " gợi ý, dùng phím mũi tên để chọn.";
      } else {
        close();
        status.textContent = "";
      }
    }

    function highlight(index) {
      if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
      active = index;
      if (active < 0) {
        input.removeAttribute("aria-activedescendant");
        input.value = typed;
        return;
      }
      var option = options[active];
      option.setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", option.id);
      input.value = option.textContent;
      option.scrollIntoView({ block: "nearest" });
    }

    function choose(index) {
      input.value = options[index].textContent;
      close();
      if (input.form) {
        if (input.form.requestSubmit) input.form.requestSubmit();
        else input.form.submit();
      }
    }

    function ask() {
      var text = input.value;
      if (!text.trim()) {
        show([]);
        return;
      }
      var mine = ++asked;
      fetch(url + "?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) {
          if (mine === asked && document.activeElement === input) show(data.suggestions || []);
        })
        .catch(function () { /* no suggestions is fine: the box still searches */ });
    }

    input.addEventListener("input", function () {
      typed = input.value;
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && options.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { ask(); return; }
        highlight(active + 1 < options.length ? active + 1 : -1);
      } else if (event.key === "ArrowUp") {
        if (!open) return;
        event.preventDefault();
        highlight(active < 0 ? options.length - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          if (active >= 0) input.value = typed;
          close();
        }
      }
    });

    input.addEventListener("blur", close);
  }

  function start() {
    var inputs = document.querySelectorAll("input[data-suggest]");
    for (var i = 0; i < inputs.length; i++) enhance(inputs[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
