// The storefront's entry: a History API router over the pages, and the layout.
//
// The page URLs are pages.json's, the one list the router also serves index.html
// at; this module gives each page name its code. Staff pages are imported when
// first visited, so a customer's first load does not carry them.
import { currentUser, isStaff, onAuthChange, refresh } from "/storefront/api.js";
import { accountPage } from "/storefront/account.js";
import { cartPage, updateCount } from "/storefront/cart.js";
import { checkoutPage, orderPage } from "/storefront/checkout.js";
import { h, pageView, errorBox, link } from "/storefront/dom.js";
import pages from "/storefront/pages.json" with { type: "json" };
import { productPage } from "/storefront/product.js";
import { homePage, categoryPage, searchPage } from "/storefront/shop.js";

const staff = () => import("/storefront/staff.js");
const PAGES = {
  home: (view, _, params) => homePage(view, params),
  search: (view, _, params) => searchPage(view, params),
  category: (view, { slug }, params) => categoryPage(view, slug, params),
  product: (view, { id }) => productPage(view, id),
  cart: (view) => cartPage(view),
  checkout: (view) => checkoutPage(view),
  order: (view, { id }) => orderPage(view, id),
  account: (view, _, params) => accountPage(view, params),
  "staff-dashboard": async (view) => (await import("/storefront/dashboard.js")).dashboardPage(view),
  "staff-products": async (view) => (await staff()).staffProductsPage(view),
  "staff-new-product": async (view) => (await staff()).staffProductPage(view, null),
  "staff-edit-product": async (view, { id }) => (await staff()).staffProductPage(view, id),
  "staff-orders": async (view, _, params) => (await staff()).staffOrdersPage(view, params),
};

/** pages.json's paths as patterns: "{name}" is one path segment, given to the page decoded. */
function routesOf(list) {
  const names = new Set(list.map((p) => p.page));
  const unknown = [...names].filter((name) => !PAGES[name]);
  const unlisted = Object.keys(PAGES).filter((name) => !names.has(name));
  if (unknown.length || unlisted.length) {
    throw new Error(`pages.json and app.js disagree: no code for ${unknown}; not in pages.json: ${unlisted}`);
  }
  return list.map(({ path, page }) => {
    const keys = [];
    const source = path.replace(/\{(\w+)\}|[.*+?^$()|[\]\\/]/g, (token, key) => {
      if (!key) return `\\${token}`;
      keys.push(key);
      return "([^/]+)";
    });
    return { pattern: new RegExp(`^${source}$`), keys, draw: PAGES[page] };
  });
}

const ROUTES = routesOf(pages);

// The newest navigation; a newer one aborts it, so a slow page cannot draw over a later one.
let navigation = new AbortController();
// The page drawn (path and query): a jump to a fragment (the skip link) is not a navigation.
let drawn = null;

/**
 * Draws the page of the current URL. A navigation in the app moves the focus to the new
 * content; the page load does not (`moveFocus` false), so the first Tab still reaches
 * the skip link, as on any page.
 */
async function render(moveFocus = true) {
  navigation.abort();
  navigation = new AbortController();
  const view = pageView(navigation.signal, moveFocus);
  const path = location.pathname;
  drawn = path + location.search;
  const main = document.getElementById("main");
  main.setAttribute("aria-busy", "true");
  try {
    await renderPage(view, path);
  } finally {
    if (!view.signal.aborted) main.removeAttribute("aria-busy");
    // Every settled page, a stale one too: for the bench's timings and for tests to wait on.
    performance.mark("shop:rendered", { detail: { path, current: !view.signal.aborted } });
  }
}

async function renderPage(view, path) {
  const params = new URLSearchParams(location.search);
  for (const { pattern, keys, draw } of ROUTES) {
    const match = path.match(pattern);
    if (!match) continue;
    try {
      const segments = Object.fromEntries(keys.map((key, i) => [key, decodeURIComponent(match[i + 1])]));
      await draw(view, segments, params);
    } catch (error) {
      view.show("Error", h("h1", {}, "Something went wrong"), errorBox([error.message]), link("/", "Back to the shop"));
    }
    return;
  }
  view.show("Not found", h("h1", {}, "Page not found"), link("/", "Back to the shop"));
}

function navigate(url, replace = false) {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  window.scrollTo(0, 0);
  return render();
}

// Same-origin links marked data-link stay in the app; modified clicks open tabs as usual.
document.addEventListener("click", (event) => {
  const anchor = event.target.closest("a[data-link]");
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(anchor.getAttribute("href"));
});
window.addEventListener("popstate", () => {
  if (location.pathname + location.search !== drawn) render();
});
window.addEventListener("shop:navigate", (event) => navigate(event.detail));
document.getElementById("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = new FormData(event.target).get("q").trim();
  navigate(`/search?${new URLSearchParams({ q })}`);
});

function showUser(user) {
  document.getElementById("account-link").textContent = user ? user.username : "Sign in";
  document.getElementById("staff-link").hidden = !isStaff();
}
onAuthChange(showUser);

// A reload keeps the session: the refresh token buys a new access token first.
await refresh();
showUser(currentUser());
updateCount().catch(() => {});
render(false);
