// The storefront's entry: a History API router over the pages, and the layout.
import { currentUser, onAuthChange, refresh } from "/storefront/api.js";
import { accountPage } from "/storefront/account.js";
import { cartPage, updateCount } from "/storefront/cart.js";
import { checkoutPage, orderPage, leaveOrderPage } from "/storefront/checkout.js";
import { h, show, errorBox, link } from "/storefront/dom.js";
import { productPage } from "/storefront/product.js";
import { homePage, categoryPage, searchPage } from "/storefront/shop.js";

const ROUTES = [
  [/^\/$/, (_, params) => homePage(params)],
  [/^\/search$/, (_, params) => searchPage(params)],
  [/^\/category\/([^/]+)$/, (m, params) => categoryPage(decodeURIComponent(m[1]), params)],
  [/^\/product\/([^/]+)$/, (m) => productPage(decodeURIComponent(m[1]))],
  [/^\/cart$/, () => cartPage()],
  [/^\/checkout$/, () => checkoutPage()],
  [/^\/orders\/([^/]+)$/, (m) => orderPage(decodeURIComponent(m[1]))],
  [/^\/account$/, (_, params) => accountPage(params)],
];

async function render() {
  leaveOrderPage();
  const params = new URLSearchParams(location.search);
  for (const [pattern, page] of ROUTES) {
    const match = location.pathname.match(pattern);
    if (!match) continue;
    try {
      await page(match, params);
    } catch (error) {
      show("Error", h("h1", {}, "Something went wrong"), errorBox([error.message]), link("/", "Back to the shop"));
    }
    return;
  }
  show("Not found", h("h1", {}, "Page not found"), link("/", "Back to the shop"));
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
}
onAuthChange(showUser);

// A reload keeps the session: the refresh token buys a new access token first.
await refresh();
showUser(currentUser());
updateCount().catch(() => {});
render();
