// Staff pages: the catalog's products (create, edit, stock, delete) and everyone's
// orders (ship, deliver, refund). The API refuses non-staff anyway; the pages only
// spare a customer the refusal.
import { run, currentUser, isStaff } from "/storefront/api.js";
import { h, money, link, errorBox, announce } from "/storefront/dom.js";
import { pager, navigateTo } from "/storefront/shop.js";

const STATUSES = ["PENDING_PAYMENT", "PAID", "PAYMENT_FAILED", "CANCELLED", "SHIPPED", "DELIVERED", "REFUNDED"];
// The moves staff make from each status, as the order's state machine allows them.
const MOVES = {
  PAID: [["ShipOrder", "shipOrder", "Ship"], ["RefundOrder", "refundOrder", "Refund"]],
  SHIPPED: [["DeliverOrder", "deliverOrder", "Mark delivered"]],
};
const PRICE = /^\d{1,8}(\.\d{1,2})?$/;

/** True for staff; anyone else gets a page that says why. */
export function staffOnly(show) {
  if (isStaff()) return true;
  const next = encodeURIComponent(location.pathname + location.search);
  show("Staff only", h("h1", {}, "Staff only"), currentUser()
    ? h("p", {}, "This page is for staff accounts.")
    : h("p", {}, link(`/account?next=${next}`, "Sign in"), " with a staff account."));
  return false;
}

/** The staff section's own navigation, the current page marked for assistive technology. */
export function staffNav(current) {
  return h("nav", { class: "staff-nav", "aria-label": "Staff" }, [["/staff", "Dashboard"], ["/staff/products", "Products"], ["/staff/orders", "Orders"]]
    .map(([href, label]) => h("a", { href, "data-link": true, "aria-current": href === current ? "page" : null }, label)));
}

const headings = (...names) => h("thead", {}, h("tr", {}, names.map((name) => h("th", { scope: "col" }, name))));
const problemsOf = (payload) => payload.errors.map((e) => e.message);

export async function staffProductsPage({ show }) {
  if (!staffOnly(show)) return;
  const rows = h("tbody", { id: "staff-products" });
  const more = pager(rows, (after) => run("Products", { first: 20, after, sort: "NEWEST" }).then((d) => d.products), {
    item: productRow,
    empty: () => h("tbody", {}, h("tr", {}, h("td", { colspan: 4 }, "No products yet."))),
  });
  show("Products", staffNav("/staff/products"), h("h1", {}, "Products"), link("/staff/products/new", "New product"),
    h("table", { class: "staff" }, headings("Product", "Price", "Stock", ""), rows), more.button);
  await more.loaded;
}

function productRow(product) {
  const id = `stock-${product.id}`;
  const stock = h("input", { id, type: "number", min: 0, step: 1, value: product.stock, class: "qty", required: true });
  const note = h("span", { role: "status" });
  const form = h("form", { class: "inline", onsubmit: async (event) => {
    event.preventDefault();
    const value = Number(stock.value);
    if (!Number.isInteger(value) || value < 0) return note.replaceChildren(errorBox(["Stock is a whole number, 0 or more."]));
    const { updateProduct } = await run("UpdateProduct", { id: product.id, input: { stock: value } });
    note.replaceChildren(updateProduct.errors.length ? errorBox(problemsOf(updateProduct)) : `Saved: ${updateProduct.product.stock} in stock`);
  } }, h("label", { for: id, class: "visually-hidden" }, `Stock of ${product.name}`), stock, h("button", { type: "submit" }, "Set"), note);
  return h("tr", {},
    h("td", {}, link(`/staff/products/${encodeURIComponent(product.id)}`, product.name)),
    h("td", {}, money(product.price)),
    h("td", {}, form),
    h("td", {}, link(`/product/${encodeURIComponent(product.id)}`, "View in shop")));
}

/** The product form: a new product (`id` null) or an existing one, with delete. */
export async function staffProductPage({ show, signal }, id) {
  if (!staffOnly(show)) return;
  const [{ categories }, found] = await Promise.all([run("Categories"), id ? run("Product", { id }) : null]);
  if (signal.aborted) return;
  const product = found?.product;
  if (id && !product) return show("Not found", staffNav(), h("h1", {}, "No such product"), link("/staff/products", "All products"));
  const field = (name, label, control) => [h("label", { for: `product-${name}` }, label), control];
  const input = (name, attrs) => h("input", { id: `product-${name}`, name, ...attrs });
  const problems = h("div");
  const form = h("form", { class: "staff-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    const invalid = check(values);
    if (invalid.length) return problems.replaceChildren(errorBox(invalid));
    const changes = {
      name: values.name.trim(),
      description: values.description.trim(),
      price: values.price.trim(),
      stock: Number(values.stock),
      categoryId: values.categoryId || null,
    };
    if (!product) changes.currency = values.currency.trim().toUpperCase();
    const data = product ? await run("UpdateProduct", { id, input: changes }) : await run("CreateProduct", { input: changes });
    const payload = product ? data.updateProduct : data.createProduct;
    if (payload.errors.length) return problems.replaceChildren(errorBox(problemsOf(payload)));
    problems.replaceChildren();
    announce(product ? `Saved ${payload.product.name}.` : `Created ${payload.product.name}.`);
    if (!product) navigateTo(`/staff/products/${encodeURIComponent(payload.product.id)}`);
    else problems.replaceChildren(h("p", { class: "ok", role: "status" }, `Saved ${payload.product.name}.`));
  } },
  field("name", "Name", input("name", { required: true, maxlength: 200, value: product?.name ?? "" })),
  field("description", "Description", h("textarea", { id: "product-description", name: "description", rows: 4, maxlength: 5000 }, product?.description ?? "")),
  field("price", `Price${product ? ` (${product.price.currency})` : ""}`, input("price", { required: true, inputmode: "decimal", value: product?.price.amount ?? "" })),
  product ? null : field("currency", "Currency", input("currency", { required: true, maxlength: 3, value: "USD" })),
  field("stock", "Stock", input("stock", { type: "number", min: 0, step: 1, required: true, value: product?.stock ?? 0 })),
  field("categoryId", "Category", h("select", { id: "product-categoryId", name: "categoryId" }, h("option", { value: "" }, "None"),
    categories.map((c) => h("option", { value: c.id, selected: c.id === product?.category?.id }, c.name)))),
  problems, h("button", { type: "submit" }, product ? "Save" : "Create product"));
  show(product ? product.name : "New product", staffNav("/staff/products"), h("h1", {}, product ? `Edit ${product.name}` : "New product"),
    form, product ? deleteControl(product) : null);
}

function check(values) {
  const problems = [];
  if (!values.name.trim()) problems.push("Give the product a name.");
  if (!PRICE.test(values.price.trim())) problems.push("The price is an amount such as 19.90.");
  if (values.currency !== undefined && !/^[A-Za-z]{3}$/.test(values.currency.trim())) problems.push("The currency is a three-letter code such as USD.");
  if (!/^\d+$/.test(values.stock)) problems.push("Stock is a whole number, 0 or more.");
  return problems;
}

/** Delete asks once more in the page itself (no blocking dialog). */
function deleteControl(product) {
  const area = h("section", { class: "danger", "aria-labelledby": "delete-h" }, h("h2", { id: "delete-h" }, "Delete"));
  const confirm = h("button", { type: "button", class: "danger", hidden: true, onclick: async () => {
    const { deleteProduct } = await run("DeleteProduct", { id: product.id });
    if (deleteProduct.errors.length) return area.append(errorBox(problemsOf(deleteProduct)));
    announce(`Deleted ${product.name}.`);
    navigateTo("/staff/products");
  } }, `Yes, delete ${product.name}`);
  const ask = h("button", { type: "button", onclick: () => {
    ask.hidden = true;
    confirm.hidden = false;
    confirm.focus();
  } }, "Delete product");
  area.append(h("p", {}, "Past orders keep showing the product."), ask, confirm);
  return area;
}

export async function staffOrdersPage({ show }, params) {
  if (!staffOnly(show)) return;
  const status = STATUSES.includes(params.get("status")) ? params.get("status") : null;
  const filter = h("select", { id: "order-status-filter", onchange: (e) => navigateTo(e.target.value ? `/staff/orders?status=${e.target.value}` : "/staff/orders") },
    h("option", { value: "" }, "All"), STATUSES.map((s) => h("option", { value: s, selected: s === status }, s)));
  const rows = h("tbody", { id: "staff-orders" });
  const more = pager(rows, (after) => run("StaffOrders", { first: 20, after, status }).then((d) => d.orders), {
    item: orderRow,
    empty: () => h("tbody", {}, h("tr", {}, h("td", { colspan: 6 }, "No orders."))),
  });
  show("Orders", staffNav("/staff/orders"), h("h1", {}, "Orders"), h("label", { for: "order-status-filter" }, "Status "), filter,
    h("table", { class: "staff" }, headings("Placed", "Order", "Customer", "Items", "Total", "Status"), rows), more.button);
  await more.loaded;
}

function orderRow(order) {
  const state = h("td", { class: "order-state" });
  const draw = (current) => {
    state.replaceChildren(h("span", { class: "status-text" }, current), " ", ...(MOVES[current] ?? []).map(([operation, field, label]) =>
      h("button", { type: "button", onclick: async () => {
        const payload = (await run(operation, { id: order.id }))[field];
        if (payload.errors.length) return state.append(errorBox(problemsOf(payload)));
        announce(`Order ${order.id} is ${payload.order.status}.`);
        draw(payload.order.status);
      } }, label)));
  };
  draw(order.status);
  return h("tr", { "data-order": order.id },
    h("td", {}, new Date(order.createdAt).toLocaleString("en-US")),
    h("td", {}, link(`/orders/${encodeURIComponent(order.id)}`, order.id.slice(0, 8))),
    h("td", {}, order.user.username),
    h("td", {}, order.lines.map((l) => `${l.quantity} × ${l.productName}`).join(", ")),
    h("td", {}, money(order.total)),
    state);
}
