// Pilotage territorial: what every page needs for French-speaking and keyboard users, run once
// per browser tab (app.py injects it on every script run; the guard keeps one copy).
// - the stylesheet a11y.css (focus, contrast, skip link, screen-reader-only text);
// - the document language is French (Streamlit's index.html says "en");
// - a French skip link is the first Tab stop (Streamlit's English one is hidden by a11y.css);
// - the few English strings Streamlit's front end writes itself (multiselect « Select all »,
//   table and chart toolbars, file uploader, dialogs) are translated in place, text and the
//   attributes that screen readers and tooltips read.
(() => {
  const root = window.parent === window ? window : window.parent;
  const doc = root.document;
  if (root.__pilotageA11y) return;
  root.__pilotageA11y = true;

  const style = doc.createElement("style");
  style.id = "pilotage-a11y";
  style.textContent = __STYLES__;
  doc.head.appendChild(style);

  const setLang = () => {
    if (doc.documentElement.lang !== "fr") doc.documentElement.lang = "fr";
  };
  setLang();
  new MutationObserver(setLang).observe(doc.documentElement, {
    attributes: true,
    attributeFilter: ["lang"],
  });

  const skip = doc.createElement("a");
  skip.href = "#stMain";
  skip.className = "pilotage-skip-link";
  skip.textContent = "Aller au contenu principal";
  skip.addEventListener("click", (event) => {
    event.preventDefault();
    const main = doc.getElementById("stMain") || doc.querySelector("main");
    if (!main) return;
    if (!main.hasAttribute("tabindex")) main.setAttribute("tabindex", "-1");
    main.focus();
    main.scrollIntoView();
  });
  doc.body.insertBefore(skip, doc.body.firstChild);

  const EXACT = new Map(Object.entries(__TRANSLATIONS__));
  const PATTERNS = [
    [/^Select (\d+) matches$/, "Sélectionner les $1 résultats"],
    [/^Add: (.*)$/, "Ajouter : $1"],
    [/^Help for (.*)$/, "Aide : $1"],
    [/^Limit (\d+)\s?MB per file(.*)$/, "$1 Mo au plus par fichier$2"],
    [/^(\d+)\s?MB per file(.*)$/, "$1 Mo au plus par fichier$2"],
    [/^You have requested page \/(.*), but no corresponding file was found.*$/,
      "La page /$1 demandée n'existe pas : la page d'accueil est affichée."],
  ];
  const translate = (text) => {
    const trimmed = text.trim();
    if (!trimmed || !/[A-Za-z]/.test(trimmed)) return null;
    if (EXACT.has(trimmed)) return text.replace(trimmed, EXACT.get(trimmed));
    for (const [pattern, replacement] of PATTERNS) {
      if (pattern.test(trimmed)) return text.replace(trimmed, trimmed.replace(pattern, replacement));
    }
    return null;
  };
  const ATTRIBUTES = ["aria-label", "title", "placeholder", "data-title", "alt"];
  const fixElement = (element) => {
    for (const name of ATTRIBUTES) {
      const value = element.getAttribute(name);
      const french = value && translate(value);
      if (french && french !== value) element.setAttribute(name, french);
    }
  };
  const fixText = (node) => {
    const french = translate(node.nodeValue);
    if (french && french !== node.nodeValue) node.nodeValue = french;
  };
  // Loaded data is never rewritten: Markdown, code and tables are left alone (a dialog's
  // message is Streamlit's own text).
  const SKIPPED = "script, style, pre, textarea, [data-testid='stTable']";
  const skipped = (element) =>
    element.matches(SKIPPED) ||
    (element.matches("[data-testid='stMarkdownContainer']") &&
      !element.closest("[role='dialog'], [data-testid='stFileUploaderDropzone']"));
  const LABELLED = ATTRIBUTES.map((name) => `[${name}]`).join(",");
  const fixTree = (node) => {
    if (node.nodeType === Node.TEXT_NODE) node = node.parentElement;
    if (!node || node.nodeType !== Node.ELEMENT_NODE) return;
    // Streamlit's own labels inside Markdown too (« Link to heading » on each heading).
    fixElement(node);
    node.querySelectorAll(LABELLED).forEach(fixElement);
    for (let up = node; up; up = up.parentElement) if (skipped(up)) return;
    const walker = doc.createTreeWalker(node, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
      acceptNode: (current) =>
        current.nodeType === Node.ELEMENT_NODE && skipped(current)
          ? NodeFilter.FILTER_REJECT
          : NodeFilter.FILTER_ACCEPT,
    });
    for (let current = walker.nextNode(); current; current = walker.nextNode()) {
      if (current.nodeType === Node.TEXT_NODE) fixText(current);
      else fixElement(current);
    }
  };
  // Upstream streamlit#8860: the first session of a fresh server that opens a deep link gets a
  // « Page not found » dialog above the right page. When the page asked for is one of the
  // navigation's, the dialog is wrong and is closed; a mistyped address keeps it, in French.
  const NOT_FOUND = /Page not found|Page introuvable/;
  const asked = () => root.location.pathname.replace(/\/+$/, "").split("/").pop();
  const isKnownPage = (name) =>
    [...doc.querySelectorAll("[data-testid='stSidebarNavLink']")].some(
      (link) => new URL(link.href).pathname.split("/").pop() === name,
    );
  // Each wrong dialog is closed as soon as the navigation says the page exists; the click is
  // repeated until the dialog is gone (its text, its close button and the navigation may each
  // arrive late on a loaded server), for up to 30 s after the dialog was first seen.
  const pending = new Map();
  const seen = new WeakSet();
  const dismissWrongNotFound = () => {
    for (const dialog of doc.querySelectorAll("[role='dialog']")) {
      if (seen.has(dialog) || !NOT_FOUND.test(dialog.textContent)) continue;
      seen.add(dialog);
      pending.set(dialog, Date.now());
    }
    for (const [dialog, since] of pending) {
      const close = dialog.querySelector("button[aria-label='Close'], button[aria-label='Fermer']");
      if (!dialog.isConnected || Date.now() - since > 30000) pending.delete(dialog);
      else if (asked() && isKnownPage(asked()) && close) close.click();
    }
    if (pending.size) root.setTimeout(dismissWrongNotFound, 100);
  };
  let dialogCheck = 0;
  const watchDialogs = () => {
    if (!dialogCheck) dialogCheck = root.setTimeout(() => { dialogCheck = 0; dismissWrongNotFound(); }, 0);
  };

  fixTree(doc.body);
  watchDialogs();
  new MutationObserver((mutations) => {
    watchDialogs();
    for (const mutation of mutations) {
      if (mutation.type === "characterData") fixTree(mutation.target);
      else if (mutation.type === "attributes") fixElement(mutation.target);
      else mutation.addedNodes.forEach(fixTree);
    }
  }).observe(doc.body, {
    childList: true,
    subtree: true,
    characterData: true,
    attributes: true,
    attributeFilter: ATTRIBUTES,
  });
})();
