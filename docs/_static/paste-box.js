/* The "paste your error" box. Its data, window.VERIFIED_ERRORS, is made when the site is
 * built from the messages the pages verify (src/verified_blocks/sphinx/paste.py): for each
 * wording, a regular expression in which the guide's own names, addresses, paths and
 * numbers match the reader's, and the wording's distinctive words.
 *
 * Everything happens in this page: the pasted text is never sent anywhere, never stored,
 * and never inserted as HTML (results are built with textContent from the guide's data). */
(function () {
  "use strict";

  const MAX_LINE = 2000; // longer lines are cut: a regular expression never sees more
  const MAX_LINES = 20000; // the last ones: the error of a traceback is at its end
  const SHOWN = 5;

  function wordsOf(line) {
    return new Set(line.toLowerCase().match(/[a-z]{3,}/g) || []);
  }

  function prepare(entries) {
    return entries.map((entry) => ({ ...entry, re: new RegExp(entry.regex) }));
  }

  /* How well one entry matches the pasted lines: a whole-wording match ranks above a
   * match of words, a longer wording above a shorter one, a troubleshooting entry above
   * a how-to section. 0: no match. */
  function score(entry, lines) {
    const first = entry.words[0];
    let wordShare = 0;
    for (let i = lines.length - 1; i >= 0; i -= 1) {
      const { text, words } = lines[i];
      if ((first === undefined || words.has(first)) && entry.re.test(text)) {
        // the same quoted names as the page's ('State', 'coroutine'): closer still
        let same = 0;
        for (const name of entry.quoted) if (text.includes(name)) same += name.length;
        return 10000 + entry.literal + same + (entry.troubleshooting ? 1000 : 0);
      }
      if (entry.words.length >= 3) {
        let found = 0;
        for (const word of entry.words) if (words.has(word)) found += 1;
        wordShare = Math.max(wordShare, found / entry.words.length);
      }
    }
    if (wordShare >= 0.75) return Math.round(wordShare * 100) + (entry.troubleshooting ? 50 : 0);
    return 0;
  }

  function match(entries, text) {
    const seen = new Set();
    const lines = [];
    const all = text.split(/\r?\n/).slice(-MAX_LINES);
    for (const raw of all) {
      const line = raw.slice(0, MAX_LINE).trim();
      if (!line || seen.has(line) || !/[A-Za-z]{3}/.test(line)) continue;
      seen.add(line);
      lines.push({ text: line, words: wordsOf(line) });
    }
    const best = new Map(); // one result a page: its best-scoring wording
    for (const entry of entries) {
      const value = score(entry, lines);
      if (value === 0) continue;
      const known = best.get(entry.page);
      if (!known || known.value < value) best.set(entry.page, { entry, value });
    }
    return [...best.values()].sort((a, b) => b.value - a.value).slice(0, SHOWN);
  }

  function show(list, results, root, hasText) {
    list.replaceChildren();
    for (const { entry } of results) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `${root}${entry.page}#${entry.anchor}`;
      link.textContent = entry.title;
      const message = document.createElement("code");
      message.textContent = entry.message;
      item.append(link, document.createElement("br"), message);
      list.append(item);
    }
    if (hasText && results.length === 0) {
      const item = document.createElement("li");
      item.className = "paste-box-none";
      item.textContent =
        "No verified message matches. Try the search box with the error's class and a few words of its message.";
      list.append(item);
    }
  }

  function start(box, entries) {
    const input = box.querySelector("textarea");
    const list = box.querySelector(".paste-box-results");
    const root = document.documentElement.dataset.content_root || "";
    let timer;
    const update = () => {
      const text = input.value;
      show(list, text.trim() ? match(entries, text) : [], root, Boolean(text.trim()));
      box.dataset.state = "done";
    };
    input.addEventListener("input", () => {
      box.dataset.state = "busy";
      clearTimeout(timer);
      timer = setTimeout(update, 120);
    });
    box.dataset.state = "ready";
  }

  /* On the search page: Sphinx's search needs every word of the query, so a message with
   * the reader's own names in it finds nothing there. Show the entries that verify it
   * above Sphinx's results, matched as the box matches. */
  function searchPage(entries) {
    const results = document.getElementById("search-results");
    const query = new URLSearchParams(window.location.search).get("q");
    if (!results || !query || !query.trim()) return;
    const found = match(entries, query);
    if (found.length === 0) return;
    const section = document.createElement("section");
    section.className = "verified-matches";
    const heading = document.createElement("h2");
    heading.textContent = "Entries that verify this message";
    const list = document.createElement("ol");
    list.className = "paste-box-results";
    show(list, found, document.documentElement.dataset.content_root || "", true);
    section.append(heading, list);
    results.before(section);
  }

  function init() {
    if (!Array.isArray(window.VERIFIED_ERRORS)) return;
    const entries = prepare(window.VERIFIED_ERRORS);
    document.querySelectorAll("[data-paste-box]").forEach((box) => start(box, entries));
    searchPage(entries);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
