// Home, category and search pages: product lists with keyset paging ("load more").
import { run, track, currentUser } from "/storefront/api.js";
import { h, money, link, errorBox, announce } from "/storefront/dom.js";

const SORTS = [
  ["NEWEST", "Newest"],
  ["PRICE_ASC", "Price: low to high"],
  ["PRICE_DESC", "Price: high to low"],
  ["NAME", "Name"],
];
// Search sorts by relevance unless told; it cannot sort by name (the API refuses).
const SEARCH_SORTS = [
  ["RELEVANCE", "Best match"],
  ["NEWEST", "Newest"],
  ["PRICE_ASC", "Price: low to high"],
  ["PRICE_DESC", "Price: high to low"],
];

export function productCard(product) {
  return h(
    "li",
    { class: "card" },
    link(`/product/${encodeURIComponent(product.id)}`, h("span", { class: "name" }, product.name)),
    h("span", { class: "price" }, money(product.price)),
    product.inStock === false ? h("span", { class: "stock out" }, "Out of stock") : null,
  );
}

export async function homePage({ show }) {
  show("", h("p", {}, "Loading…"));
  const [recs, categories, newest] = await Promise.all([
    run("Recommendations", { first: 8 }),
    run("Categories"),
    run("Products", { first: 8, sort: "NEWEST" }),
  ]);
  const heading = currentUser() ? "Recommended for you" : "Popular right now";
  show(
    "",
    h("h1", {}, "Welcome to shopgraph"),
    h(
      "section",
      { "aria-labelledby": "recs-h" },
      h("h2", { id: "recs-h" }, heading),
      recs.recommendations.length
        ? h("ul", { class: "grid", id: "recommendations" }, recs.recommendations.map(productCard))
        : h("p", { class: "empty", id: "recommendations" }, "Nothing to recommend yet: see what is new below."),
    ),
    h(
      "section",
      { "aria-labelledby": "cats-h" },
      h("h2", { id: "cats-h" }, "Categories"),
      h("ul", { class: "chips" }, categories.categories.map((c) => h("li", {}, link(`/category/${encodeURIComponent(c.slug)}`, c.name)))),
    ),
    h(
      "section",
      { "aria-labelledby": "new-h" },
      h("h2", { id: "new-h" }, "New in"),
      h("ul", { class: "grid", id: "products" }, newest.products.edges.map((e) => productCard(e.node))),
    ),
  );
}

const AMOUNT = /^\d{1,10}(\.\d{1,2})?$/;

/**
 * The largest price below `amount`: one cent less. A price facet's bucket ("25-50")
 * holds prices from 25 up to but excluding 50, and the API's maxPrice is inclusive;
 * the catalog keeps every price in whole cents, so "below 50" is "at most 49.99".
 * Worked in whole cents, never in floating point.
 */
export function centBelow(amount) {
  const [whole, fraction = ""] = amount.split(".");
  const cents = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, "0")) - 1n;
  const sign = cents < 0n ? "-" : "";
  const magnitude = cents < 0n ? -cents : cents;
  return `${sign}${magnitude / 100n}.${String(magnitude % 100n).padStart(2, "0")}`;
}

/**
 * Filter from the URL: ?category=ID&price=25-50&inStock=true (the facet values).
 * A price value is a facet bucket, [low, high): low is sent as minPrice (inclusive, as
 * the bucket's), high as the cent below it, so a product priced exactly at a bucket's
 * upper bound is in the next bucket only, as the facet counted it. An open end ("*")
 * or anything that is not an amount is left out rather than sent.
 */
export function filterOf(params, categoryId) {
  const filter = {};
  const category = categoryId ?? params.get("category");
  if (category) filter.categoryId = category;
  const price = params.get("price");
  if (price) {
    const [low, high] = price.replaceAll(",", "").split("-");
    if (AMOUNT.test(low ?? "")) filter.minPrice = low;
    if (AMOUNT.test(high ?? "")) filter.maxPrice = centBelow(high);
  }
  if (params.get("inStock")) filter.inStock = params.get("inStock") === "true";
  return filter;
}

function withParam(params, name, value) {
  const next = new URLSearchParams(params);
  if (value === null || next.get(name) === value) next.delete(name);
  else next.set(name, value);
  return next;
}

export async function categoryPage({ show }, slug, params) {
  const { categories } = await run("Categories");
  const category = categories.find((c) => c.slug === slug);
  if (!category) return show("Not found", h("h1", {}, "No such category"), link("/", "Back to the shop"));
  const sort = params.get("sort") || "NEWEST";
  const filter = filterOf(params, category.id);
  const list = h("ul", { class: "grid", id: "products" });
  const sortSelect = h("select", { id: "sort", onchange: (e) => navigateTo(`/category/${slug}?${withParam(params, "sort", e.target.value)}`) },
    SORTS.map(([value, label]) => h("option", { value, selected: value === sort }, label)));
  const more = pager(list, (after) => run("Products", { first: 12, after, filter, sort }).then((d) => d.products));
  show(category.name, h("h1", {}, category.name), h("label", { for: "sort" }, "Sort by "), sortSelect, list, more.button);
  await more.loaded;
}

export async function searchPage({ show, signal }, params) {
  const query = params.get("q") || "";
  document.getElementById("search-input").value = query;
  if (!query) return show("Search", h("h1", {}, "Search"), h("p", {}, "Type what you are looking for in the search box."));
  const filter = filterOf(params);
  // A hand-edited URL with an unknown sort falls back to the default instead of failing.
  const sort = SEARCH_SORTS.some(([value]) => value === params.get("sort")) ? params.get("sort") : "RELEVANCE";
  const first = await run("SearchProducts", { query, first: 12, filter, sort });
  if (signal.aborted) return;
  track("SEARCHED", { query });
  const result = first.searchProducts;
  const found = `${result.totalCount} result${result.totalCount === 1 ? "" : "s"}`;
  announce(`${found} for ${query}`);
  if (result.totalCount === 0) {
    return show(`Search: ${query}`, h("h1", {}, `No results for “${query}”`),
      h("p", { class: "empty" }, "Check the spelling, use fewer words, or browse the categories."), link("/", "Browse the shop"));
  }
  // A facet nothing matched (no category among the results) is left out, not drawn empty.
  const facets = h("aside", { class: "facets", "aria-label": "Filters" }, result.facets.filter((f) => f.values.length).map((facet) =>
    h("fieldset", {}, h("legend", {}, facetTitle(facet.name)), h("ul", {}, facet.values.map((v) => {
      const param = facet.name === "inStock" ? "inStock" : facet.name;
      const active = params.get(param) === v.value;
      return h("li", {}, link(`/search?${withParam(params, param, v.value)}`, `${active ? "✓ " : ""}${v.label} (${v.count})`));
    })))));
  const list = h("ul", { class: "grid", id: "products" });
  const more = pager(list, async (after) =>
    after ? (await run("SearchProducts", { query, first: 12, after, filter, sort })).searchProducts : result);
  // The default sort stays out of the URL, so a plain search link and a reset sort read the same.
  const sortSelect = h("select", { id: "sort", onchange: (e) => navigateTo(`/search?${withParam(params, "sort", e.target.value === "RELEVANCE" ? null : e.target.value)}`) },
    SEARCH_SORTS.map(([value, label]) => h("option", { value, selected: value === sort }, label)));
  show(`Search: ${query}`, h("h1", {}, `${found} for “${query}”`),
    h("div", { class: "with-facets" }, facets, h("div", {}, h("label", { for: "sort" }, "Sort by "), sortSelect, list, more.button)));
  await more.loaded;
}

function facetTitle(name) {
  return { category: "Category", price: "Price", inStock: "Availability" }[name] ?? name;
}

/**
 * Appends pages to `list` from `load(after)` (a connection) with a "Load more" button;
 * `item` draws one node, `empty` replaces the list when there is nothing at all.
 * `loaded` settles when the first page is in (a page awaits it: it is part of loading).
 */
export function pager(list, load, { item = productCard, empty = () => h("p", { class: "empty" }, "Nothing here yet.") } = {}) {
  const button = h("button", { type: "button", class: "more" }, "Load more");
  let after = null;
  const next = async () => {
    button.disabled = true;
    try {
      const page = await load(after);
      list.append(...page.edges.map((e) => item(e.node)));
      after = page.pageInfo.endCursor;
      button.hidden = !page.pageInfo.hasNextPage;
      if (!page.edges.length && !list.children.length) list.replaceWith(empty());
    } catch (error) {
      button.after(errorBox([error.message]));
    } finally {
      button.disabled = false;
    }
  };
  button.addEventListener("click", next);
  return { button, loaded: next() };
}

export function navigateTo(url) {
  window.dispatchEvent(new CustomEvent("shop:navigate", { detail: url }));
}
