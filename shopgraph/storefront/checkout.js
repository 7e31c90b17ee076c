// Checkout (card form validated before sending, one idempotency key per attempt)
// and the order page, whose status follows the orderStatusChanged subscription.
import { run, subscribe, currentUser } from "/storefront/api.js";
import { updateCount } from "/storefront/cart.js";
import { h, money, link, errorBox, announce } from "/storefront/dom.js";
import { navigateTo } from "/storefront/shop.js";

const TEST_CARDS = [
  ["4242424242424242", "succeeds"],
  ["4000000000000002", "is declined"],
  ["4000000000009995", "has insufficient funds"],
  ["4000000000000119", "fails transiently twice, then succeeds"],
];
const LOCAL = ["localhost", "127.0.0.1", "[::1]"].includes(location.hostname);

/** The card fields, and a reader that returns {paymentMethod} or {problems}. */
function cardFields() {
  const field = (id, label, attrs) => [h("label", { for: id }, label), h("input", { id, name: id, required: true, ...attrs })];
  const fields = h("fieldset", { class: "card-form" }, h("legend", {}, "Card"),
    field("card-number", "Card number", { inputmode: "numeric", autocomplete: "cc-number", placeholder: "4242 4242 4242 4242" }),
    field("card-expiry", "Expiry (MM/YY)", { autocomplete: "cc-exp", placeholder: "12/30" }),
    field("card-cvc", "CVC", { inputmode: "numeric", autocomplete: "cc-csc", placeholder: "123" }),
    LOCAL ? h("details", { class: "test-cards", open: true }, h("summary", {}, "Test cards (development)"),
      h("ul", {}, TEST_CARDS.map(([number, outcome]) => h("li", {}, h("code", {}, number), ` ${outcome}`)))) : null);
  const read = () => {
    const number = fields.querySelector("#card-number").value.replace(/[\s-]/g, "");
    const expiry = fields.querySelector("#card-expiry").value.trim().match(/^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/);
    const cvc = fields.querySelector("#card-cvc").value.trim();
    const problems = [];
    if (!/^\d{12,19}$/.test(number) || !luhn(number)) problems.push("The card number is not valid.");
    let expMonth = 0, expYear = 0;
    if (expiry) {
      expMonth = Number(expiry[1]);
      expYear = Number(expiry[2].length === 2 ? `20${expiry[2]}` : expiry[2]);
    }
    const now = new Date();
    if (!expiry || expMonth < 1 || expMonth > 12 || expYear * 12 + expMonth < now.getFullYear() * 12 + now.getMonth() + 1) {
      problems.push("The expiry date must be a month in the future, as MM/YY.");
    }
    if (!/^\d{3,4}$/.test(cvc)) problems.push("The CVC is 3 or 4 digits.");
    return problems.length ? { problems } : { paymentMethod: { cardNumber: number, expMonth, expYear, cvc } };
  };
  return { fields, read };
}

function luhn(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

export async function checkoutPage({ show }) {
  if (!currentUser()) return navigateTo("/account?next=/checkout");
  const { cart } = await run("Cart");
  if (!cart?.lines.length) return show("Checkout", h("h1", {}, "Your cart is empty"), link("/", "Continue shopping"));
  // One key for this attempt: a double click, or a resend after a lost answer,
  // gets the same order back instead of a second one.
  const idempotencyKey = crypto.randomUUID();
  const { fields, read } = cardFields();
  const problems = h("div");
  const pay = h("button", { type: "submit" }, `Pay ${money(cart.subtotal)}`);
  const form = h("form", { class: "checkout", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const card = read();
    if (card.problems) return problems.replaceChildren(errorBox(card.problems));
    pay.disabled = true;
    problems.replaceChildren();
    try {
      const { checkout } = await run("Checkout", { input: { idempotencyKey, paymentMethod: card.paymentMethod } });
      if (checkout.errors.length) return problems.replaceChildren(errorBox(checkout.errors.map((e) => e.message)));
      await updateCount();
      navigateTo(`/orders/${encodeURIComponent(checkout.order.id)}`);
    } catch (error) {
      problems.replaceChildren(errorBox([error.message]));
    } finally {
      pay.disabled = false;
    }
  } }, fields, problems, pay);
  show("Checkout", h("h1", {}, "Checkout"),
    h("ul", { class: "summary" }, cart.lines.map((l) => h("li", {}, `${l.quantity} × ${l.product.name} — ${money(l.lineTotal)}`))),
    h("p", {}, "Total: ", h("strong", {}, money(cart.subtotal))), form);
}

const STATUS_TEXT = {
  PENDING_PAYMENT: "Waiting for the payment…",
  PAID: "Paid. Thank you!",
  PAYMENT_FAILED: "The payment failed.",
  CANCELLED: "Cancelled.",
  SHIPPED: "Shipped.",
  DELIVERED: "Delivered.",
  REFUNDED: "Refunded.",
};

export async function orderPage({ show, signal }, id) {
  if (!currentUser()) return navigateTo(`/account?next=/orders/${encodeURIComponent(id)}`);
  const { order } = await run("Order", { id });
  if (signal.aborted) return;
  if (!order) return show("Order", h("h1", {}, "No such order"), link("/account", "My orders"));
  const status = h("p", { class: "status", id: "order-status", "aria-live": "polite" });
  const actions = h("div", { id: "order-actions" });
  const render = (current) => {
    status.replaceChildren(h("strong", {}, current.status), " ", STATUS_TEXT[current.status] ?? "");
    status.dataset.status = current.status;
    const failed = [...(current.payments ?? [])].reverse().find((p) => p.failureReason);
    actions.replaceChildren(...[
      current.status === "PAYMENT_FAILED" && failed ? h("p", { class: "error", id: "failure-reason" }, `Reason: ${failed.failureReason}`) : null,
      current.status === "PAYMENT_FAILED" ? retryForm(id) : null,
      ["PENDING_PAYMENT", "PAYMENT_FAILED"].includes(current.status) ? h("button", { type: "button", id: "cancel-order", onclick: () => cancel(id, actions) }, "Cancel order") : null,
    ].filter(Boolean));
    announce(`Order ${current.status}`);
  };
  show(`Order ${order.id}`, h("h1", {}, "Your order"), h("p", {}, `Order ${order.id}`), status,
    h("ul", {}, order.lines.map((l) => h("li", {}, `${l.quantity} × ${l.productName} — ${money(l.lineTotal)}`))),
    h("p", {}, "Total: ", money(order.total)), actions);
  render(order);
  // Live until the user navigates away (the page's signal aborts).
  const stop = await subscribe("OrderStatusChanged", { orderId: id },
    (data) => render(data.orderStatusChanged),
    (error) => status.after(errorBox([`Live updates stopped: ${error.message}. Reload to see the latest status.`])));
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
}

function retryForm(orderId) {
  const { fields, read } = cardFields();
  const problems = h("div");
  return h("form", { class: "retry", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const card = read();
    if (card.problems) return problems.replaceChildren(errorBox(card.problems));
    const { retryPayment } = await run("RetryPayment", { orderId, paymentMethod: card.paymentMethod });
    if (retryPayment.errors.length) problems.replaceChildren(errorBox(retryPayment.errors.map((e) => e.message)));
  } }, h("h2", {}, "Try another card"), fields, problems, h("button", { type: "submit" }, "Retry payment"));
}

async function cancel(id, actions) {
  const { cancelOrder } = await run("CancelOrder", { id });
  if (cancelOrder.errors.length) actions.append(errorBox(cancelOrder.errors.map((e) => e.message)));
}
