// The account page: sign up, sign in, sign out, and my orders.
import { run, signedIn, signOut, currentUser } from "/storefront/api.js";
import { moveGuestCart } from "/storefront/cart.js";
import { h, money, link, errorBox } from "/storefront/dom.js";
import { navigateTo } from "/storefront/shop.js";

export async function accountPage({ show }, params) {
  const user = currentUser();
  if (!user) return show("Sign in", h("h1", {}, "Your account"), h("div", { class: "two" }, authForm("up", params), authForm("in", params)));
  const { myOrders } = await run("MyOrders", { first: 20 });
  show("Account", h("h1", {}, `Hello, ${user.username}`),
    h("button", { type: "button", id: "sign-out", onclick: async () => { await signOut(); navigateTo("/"); } }, "Sign out"),
    h("h2", {}, "My orders"),
    myOrders.edges.length
      ? h("ul", { id: "my-orders" }, myOrders.edges.map(({ node }) => h("li", {},
          link(`/orders/${encodeURIComponent(node.id)}`, `${new Date(node.createdAt).toLocaleDateString("en-US")} — ${money(node.total)}`), ` ${node.status}`)))
      : h("p", {}, "No orders yet."));
}

function authForm(kind, params) {
  const up = kind === "up";
  const prefix = `sign-${kind}`;
  const input = (name, label, attrs) => [h("label", { for: `${prefix}-${name}` }, label), h("input", { id: `${prefix}-${name}`, name, required: true, ...attrs })];
  const problems = h("div");
  return h("form", { class: "auth", "aria-labelledby": `${prefix}-h`, onsubmit: async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(event.target));
    const name = up ? "Register" : "Login";
    try {
      const data = await run(name, { input: values });
      const payload = up ? data.register : data.login;
      if (payload.errors.length) return problems.replaceChildren(errorBox(payload.errors.map((e) => e.message)));
      signedIn(payload);
      const moved = await moveGuestCart();
      if (moved.length) return problems.replaceChildren(errorBox(moved));
      const next = params.get("next");
      navigateTo(next && next.startsWith("/") && !next.startsWith("//") ? next : "/account");
    } catch (error) {
      problems.replaceChildren(errorBox([error.message]));
    }
  } },
  h("h2", { id: `${prefix}-h` }, up ? "Create an account" : "Sign in"),
  up ? input("username", "Username", { autocomplete: "username", minlength: 3 }) : null,
  input("email", "Email", { type: "email", autocomplete: "email" }),
  input("password", "Password", { type: "password", autocomplete: up ? "new-password" : "current-password", minlength: 8 }),
  problems, h("button", { type: "submit" }, up ? "Create account" : "Sign in"));
}
