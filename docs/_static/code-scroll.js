/* A code block wider than the page scrolls sideways; one that scrolls can be focused, so
 * that a reader without a mouse can scroll it with the arrow keys (WCAG 2.1.1; axe-core's
 * scrollable-region-focusable, tests/browser/test_accessibility.py). One that fits is no
 * extra stop for the Tab key. Whether a block scrolls changes with the window's width and
 * when a version tab shows a hidden block, so each block is watched for its size. */
(function () {
  "use strict";

  function update(pre) {
    if (pre.scrollWidth > pre.clientWidth) pre.tabIndex = 0;
    else pre.removeAttribute("tabindex");
  }

  function init() {
    const blocks = document.querySelectorAll("div.highlight > pre, div.table-wrapper");
    blocks.forEach(update);
    if (!("ResizeObserver" in window)) return;
    const observer = new ResizeObserver((entries) => entries.forEach((e) => update(e.target)));
    blocks.forEach((pre) => observer.observe(pre));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
