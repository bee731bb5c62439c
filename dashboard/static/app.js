// GCC 1111 Social Desk: small progressive enhancements. Every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // "Select the whole page" for bulk relabels.
  document.querySelectorAll("input[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll('input[name="ids"][form="bulk"]').forEach(function (item) {
        item.checked = box.checked;
      });
    });
  });

  // Each mention's agency menu is sent with only its current choice, to keep pages light;
  // fill in the full list from the one copy on the page, keeping what was selected.
  var source = document.getElementById("agency-options");
  if (source) {
    var options = Array.prototype.filter.call(source.options, function (option) {
      return option.value !== "__keep__" && option.value !== "";
    });
    document.querySelectorAll("select[data-agencies]").forEach(function (menu) {
      var current = menu.value;
      options.forEach(function (option) {
        if (option.value === current) { return; }
        menu.appendChild(new Option(option.text, option.value));
      });
      menu.value = current;
    });
  }
});
