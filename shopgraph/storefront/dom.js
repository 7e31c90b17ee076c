// DOM building without HTML strings: every piece of data becomes a text node
// (textContent), so user text such as reviews can never become markup.

/** An element: `attrs` are set as attributes (on* handlers as listeners), children appended. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the page's main content and (`moveFocus`) moves focus there for keyboard and screen reader users. */
function replaceMain(title, children, moveFocus) {
  const main = document.getElementById("main");
  main.replaceChildren(...children.flat().filter(Boolean));
  document.title = title ? `${title} - shopgraph` : "shopgraph";
  if (moveFocus) main.focus({ preventScroll: true });
}

/**
 * What one navigation may draw on: `show` replaces the main content only while
 * this navigation is the newest one (a page that finishes loading after the user
 * went elsewhere draws nothing), and `signal` aborts when a newer one starts,
 * for pages to stop their own work (tracking, live updates). `moveFocus` is false for
 * the page load itself.
 */
export function pageView(signal, moveFocus = true) {
  return {
    signal,
    show(title, ...children) {
      if (signal.aborted) return false;
      replaceMain(title, children, moveFocus);
      return true;
    },
  };
}

export function announce(text) {
  document.getElementById("status").textContent = text;
}

const formats = new Map();
/** "$89.90": the currency's own number of decimals, from Intl. */
export function money({ amount, currency }) {
  if (!formats.has(currency)) {
    formats.set(currency, new Intl.NumberFormat("en-US", { style: "currency", currency }));
  }
  return formats.get(currency).format(Number(amount));
}

/** A link handled by the app's router (History API) instead of a page load. */
export function link(href, ...children) {
  return h("a", { href, "data-link": true }, ...children);
}

export function errorBox(messages) {
  return h("div", { class: "error", role: "alert" }, messages.map((m) => h("p", {}, m)));
}
