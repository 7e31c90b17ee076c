// The cart: a guest cart in sessionStorage until sign in (the API's cart needs a
// user), then the server's cart; the cart and checkout pages.
import { run, track, currentUser, onAuthChange } from "/storefront/api.js";
import { h, money, link, errorBox } from "/storefront/dom.js";

const GUEST_KEY = "shopgraph.guestCart";

function guestLines() {
  return JSON.parse(sessionStorage.getItem(GUEST_KEY) || "[]");
}

function saveGuest(lines) {
  sessionStorage.setItem(GUEST_KEY, JSON.stringify(lines));
  updateCount();
}

/** Adds to the cart; the problem to show, or null. */
export async function addToCart(product, quantity) {
  if (!Number.isInteger(quantity) || quantity < 1) return "Choose a quantity of at least 1.";
  track("ADDED_TO_CART", { productId: product.id });
  if (!currentUser()) {
    const lines = guestLines();
    const line = lines.find((l) => l.product.id === product.id);
    if (line) line.quantity += quantity;
    else lines.push({ product: { id: product.id, name: product.name }, unitPrice: product.price, quantity });
    saveGuest(lines);
    return null;
  }
  const { addToCart: payload } = await run("AddToCart", { productId: product.id, quantity });
  updateCount();
  return payload.errors.length ? payload.errors.map((e) => e.message).join(" ") : null;
}

/** After sign in, the guest's lines move into the user's cart; the problems, if any. */
export async function moveGuestCart() {
  const problems = [];
  for (const line of guestLines()) {
    const { addToCart: payload } = await run("AddToCart", { productId: line.product.id, quantity: line.quantity });
    problems.push(...payload.errors.map((e) => `${line.product.name}: ${e.message}`));
  }
  saveGuest([]);
  return problems;
}

onAuthChange(() => updateCount().catch(() => {}));

export async function updateCount() {
  let count = guestLines().reduce((n, l) => n + l.quantity, 0);
  if (currentUser()) count = (await run("Cart")).cart?.itemCount ?? 0;
  document.getElementById("cart-link").textContent = count ? `Cart (${count})` : "Cart";
}

export async function cartPage(view) {
  const { show } = view;
  const signedIn = Boolean(currentUser());
  const cart = signedIn ? (await run("Cart")).cart : null;
  const lines = signedIn ? cart?.lines ?? [] : guestLines();
  if (!lines.length) return show("Cart", h("h1", {}, "Your cart is empty"), link("/", "Continue shopping"));
  const problems = h("div");
  const rows = lines.map((line) => {
    const id = `qty-${line.product.id}`;
    const qty = h("input", { id, type: "number", min: 0, value: line.quantity, class: "qty" });
    const change = (quantity) => setQuantity(view, line.product.id, quantity, problems);
    qty.addEventListener("change", () => change(Number(qty.value)));
    return h("tr", {},
      h("td", {}, link(`/product/${encodeURIComponent(line.product.id)}`, line.product.name)),
      h("td", {}, money(line.unitPrice)),
      h("td", {}, h("label", { for: id, class: "visually-hidden" }, `Quantity of ${line.product.name}`), qty),
      h("td", {}, h("button", { type: "button", onclick: () => change(0) }, "Remove")));
  });
  const subtotal = signedIn ? cart.subtotal : subtotalOf(lines);
  show("Cart", h("h1", {}, "Your cart"),
    h("table", { class: "cart" }, h("thead", {}, h("tr", {}, ["Product", "Price", "Quantity", ""].map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)),
    problems,
    h("p", { class: "subtotal" }, "Subtotal: ", h("strong", { id: "subtotal" }, subtotal ? money(subtotal) : "—")),
    signedIn ? link("/checkout", "Go to checkout") : h("p", {}, link("/account?next=/checkout", "Sign in or create an account"), " to check out."));
}

function subtotalOf(lines) {
  const currencies = new Set(lines.map((l) => l.unitPrice.currency));
  if (currencies.size !== 1) return null; // mixed currencies: the server refuses them at checkout
  const cents = lines.reduce((sum, l) => sum + Math.round(Number(l.unitPrice.amount) * 100) * l.quantity, 0);
  return { amount: (cents / 100).toFixed(2), currency: [...currencies][0] };
}

async function setQuantity(view, productId, quantity, problems) {
  if (!currentUser()) {
    saveGuest(guestLines().map((l) => (l.product.id === productId ? { ...l, quantity } : l)).filter((l) => l.quantity > 0));
    return cartPage(view);
  }
  const { updateCartLine: payload } = await run("UpdateCartLine", { productId, quantity });
  if (payload.errors.length) return problems.replaceChildren(errorBox(payload.errors.map((e) => e.message)));
  await updateCount();
  return cartPage(view);
}
