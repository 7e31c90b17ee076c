// The storefront's entry: a History API router over the pages, and the layout.
import { currentUser, onAuthChange, refresh } from "/storefront/api.js";
import { accountPage } from "/storefront/account.js";
import { cartPage, updateCount } from "/storefront/cart.js";
import { checkoutPage, orderPage } from "/storefront/checkout.js";
import { dashboardPage } from "/storefront/dashboard.js";
import { h, pageView, errorBox, link } from "/storefront/dom.js";
import { productPage } from "/storefront/product.js";
import { homePage, categoryPage, searchPage } from "/storefront/shop.js";
import { isStaff, staffProductsPage, staffProductPage, staffOrdersPage } from "/storefront/staff.js";

const ROUTES = [
  [/^\/$/, (_, params, view) => homePage(view, params)],
  [/^\/search$/, (_, params, view) => searchPage(view, params)],
  [/^\/category\/([^/]+)$/, (m, params, view) => categoryPage(view, decodeURIComponent(m[1]), params)],
  [/^\/product\/([^/]+)$/, (m, _, view) => productPage(view, decodeURIComponent(m[1]))],
  [/^\/cart$/, (_, __, view) => cartPage(view)],
  [/^\/checkout$/, (_, __, view) => checkoutPage(view)],
  [/^\/orders\/([^/]+)$/, (m, _, view) => orderPage(view, decodeURIComponent(m[1]))],
  [/^\/account$/, (_, params, view) => accountPage(view, params)],
  [/^\/staff$/, (_, __, view) => dashboardPage(view)],
  [/^\/staff\/products$/, (_, __, view) => staffProductsPage(view)],
  [/^\/staff\/products\/new$/, (_, __, view) => staffProductPage(view, null)],
  [/^\/staff\/products\/([^/]+)$/, (m, _, view) => staffProductPage(view, decodeURIComponent(m[1]))],
  [/^\/staff\/orders$/, (_, params, view) => staffOrdersPage(view, params)],
];

// The newest navigation; a newer one aborts it, so a slow page cannot draw over a later one.
let navigation = new AbortController();

async function render() {
  navigation.abort();
  navigation = new AbortController();
  const view = pageView(navigation.signal);
  const path = location.pathname;
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
  for (const [pattern, page] of ROUTES) {
    const match = path.match(pattern);
    if (!match) continue;
    try {
      await page(match, params, view);
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
window.addEventListener("popstate", () => render());
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
render();
