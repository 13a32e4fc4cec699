// Progressive enhancement only: every action is a plain form without it.
// Here: a "Select all" box above lists of checkboxes (review, batch).
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('[data-select-all]').forEach(function (scope) {
    var boxes = scope.querySelectorAll('input[type=checkbox][name]');
    if (boxes.length < 2) { return; }
    var wrapper = document.createElement('div');
    wrapper.className = 'check';
    var all = document.createElement('input');
    all.type = 'checkbox';
    all.id = scope.id + '-all';
    var label = document.createElement('label');
    label.htmlFor = all.id;
    label.textContent = 'Select all';
    all.addEventListener('change', function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
    wrapper.appendChild(all);
    wrapper.appendChild(label);
    scope.parentNode.insertBefore(wrapper, scope);
  });
  // A table wider than the screen scrolls inside its box: a box that
  // scrolls can take the keyboard's focus (arrow keys scroll it).
  function focusableWhenScrolling() {
    document.querySelectorAll('.table-box').forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) {
        box.tabIndex = 0;
      } else {
        box.removeAttribute('tabindex');
      }
    });
  }
  focusableWhenScrolling();
  window.addEventListener('resize', focusableWhenScrolling);
});
