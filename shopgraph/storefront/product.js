// The product page: price, stock, add to cart, ratings with bars, reviews, related products.
import { run, track, currentUser } from "/storefront/api.js";
import { addToCart } from "/storefront/cart.js";
import { h, money, link, errorBox, announce } from "/storefront/dom.js";
import { productCard } from "/storefront/shop.js";

export async function productPage({ show, signal }, id) {
  const { product } = await run("Product", { id });
  if (signal.aborted) return;
  if (!product) return show("Not found", h("h1", {}, "This product does not exist (any more)"), link("/", "Back to the shop"));
  track("PRODUCT_VIEWED", { productId: id });
  const message = h("p", { role: "status", id: "cart-message" });
  const quantity = h("input", { id: "quantity", type: "number", min: 1, max: Math.max(1, product.stock), value: 1, inputmode: "numeric" });
  const add = h("button", { type: "submit", disabled: !product.inStock }, "Add to cart");
  const form = h("form", { class: "buy", onsubmit: async (event) => {
    event.preventDefault();
    add.disabled = true;
    const problem = await addToCart(product, Number(quantity.value));
    message.textContent = problem ?? `Added ${quantity.value} × ${product.name} to your cart.`;
    message.className = problem ? "error" : "ok";
    add.disabled = false;
  } }, h("label", { for: "quantity" }, "Quantity "), quantity, add);
  const stock = product.inStock
    ? h("p", { class: "stock in" }, product.stock < 5 ? `Only ${product.stock} left` : "In stock")
    : h("p", { class: "stock out" }, "Out of stock");
  const reviews = h("section", { "aria-labelledby": "reviews-h", id: "reviews" });
  const related = h("div", { id: "related" });
  show(product.name,
    h("article", { class: "product" },
      h("p", { class: "crumbs" }, link("/", "Home"), product.category ? [" › ", link(`/category/${encodeURIComponent(product.category.slug)}`, product.category.name)] : null),
      h("h1", {}, product.name),
      h("p", { class: "price big", id: "price" }, money(product.price)),
      stock, form, message,
      h("p", { class: "description" }, product.description)),
    reviews, related);
  await Promise.all([reviewsSection(reviews, id, signal)("NEWEST"), renderRelated(related, id)]);
}

async function renderRelated(container, id) {
  const { product } = await run("ProductRelated", { id });
  const section = (title, products, key) => products.length
    ? h("section", { "aria-labelledby": `${key}-h` }, h("h2", { id: `${key}-h` }, title), h("ul", { class: "grid small", id: key }, products.map(productCard)))
    : null;
  container.replaceChildren(...[
    section("Frequently bought together", product.frequentlyBoughtTogether, "bought-together"),
    section("Customers also viewed", product.alsoViewed, "also-viewed"),
  ].filter(Boolean));
}

/**
 * The reviews section of one product page. Each listing (the first, a new sort, the
 * list after a published review) supersedes the one before, as a navigation does a
 * page: an answer for an earlier listing, its first page or a "More reviews" page,
 * draws nothing, so a slow answer can neither bring an old sort back nor append an
 * old sort's page to the new one. Every settled answer leaves a `shop:reviews` mark
 * (its sort, whether it was still current), as pages leave `shop:rendered`.
 */
function reviewsSection(container, productId, pageSignal) {
  let listing = new AbortController();

  const settled = (sort, current) => performance.mark("shop:reviews", { detail: { sort, current } });

  async function list(sort) {
    listing.abort();
    listing = new AbortController();
    const signal = AbortSignal.any([pageSignal, listing.signal]);
    const first = await run("ProductReviews", { productId, first: 5, sort });
    settled(sort, !signal.aborted);
    if (signal.aborted) return;
    const product = first.product;
    const items = h("ol", { class: "reviews", id: "review-list" });
    const more = h("button", { type: "button", class: "more" }, "More reviews");
    let after = null;
    const append = (page) => {
      items.append(...page.edges.map(({ node }) => reviewItem(node)));
      after = page.pageInfo.endCursor;
      more.hidden = !page.pageInfo.hasNextPage;
    };
    more.addEventListener("click", async () => {
      more.disabled = true;  // one page at a time: a double click must not ask for the same page twice
      try {
        const page = await run("ProductReviews", { productId, first: 5, after, sort });
        settled(sort, !signal.aborted);
        if (!signal.aborted) append(page.product.reviews);
      } catch (error) {
        if (!signal.aborted) more.after(errorBox([error.message]));
      } finally {
        more.disabled = false;
      }
    });
    const sortSelect = h("select", { id: "review-sort", onchange: (e) => list(e.target.value) },
      [["NEWEST", "Newest"], ["HELPFUL", "Most helpful"], ["RATING_DESC", "Highest rating"], ["RATING_ASC", "Lowest rating"]]
        .map(([value, label]) => h("option", { value, selected: value === sort }, label)));
    append(product.reviews);
    const keepFocus = document.activeElement?.id === "review-sort";  // a keyboard user changing the sort
    container.replaceChildren(h("h2", { id: "reviews-h" }, "Reviews"), ratingSummary(product), ratingBars(product),
      h("label", { for: "review-sort" }, "Sort reviews "), sortSelect, items, more, reviewForm(() => list("NEWEST"), productId));
    if (keepFocus) sortSelect.focus();
  }

  return list;
}

function ratingSummary(product) {
  const total = product.reviewCount;
  return product.averageRating === null
    ? h("p", { id: "rating-summary" }, "No reviews yet.")
    : h("p", { id: "rating-summary" }, `${product.averageRating.toFixed(1)} out of 5 (${total} review${total === 1 ? "" : "s"})`);
}

function ratingBars(product) {
  const total = product.reviewCount;
  return h("dl", { class: "bars", id: "rating-bars" }, [5, 4, 3, 2, 1].map((rating) => {
    const count = product.ratingDistribution.find((r) => r.rating === rating)?.count ?? 0;
    const meter = h("meter", { min: 0, max: Math.max(total, 1), value: count, "aria-label": `${rating} stars: ${count}` });
    return [h("dt", {}, `${rating} ★`), h("dd", {}, meter, ` ${count}`)];
  }));
}

function reviewItem(review) {
  return h("li", { class: "review" },
    h("p", { class: "stars", "aria-label": `${review.rating} out of 5` }, "★".repeat(review.rating) + "☆".repeat(5 - review.rating)),
    h("p", { class: "author" }, review.author?.username ?? "a customer",
      review.verifiedPurchase ? h("span", { class: "badge verified" }, "Verified purchase") : null),
    h("p", { class: "comment" }, review.comment));
}

/** The review form for a signed-in customer; `published` lists the reviews again, the new one first. */
function reviewForm(published, productId) {
  if (!currentUser()) return h("p", {}, link("/account", "Sign in"), " to write a review.");
  const rating = h("select", { id: "review-rating", required: true }, [5, 4, 3, 2, 1].map((n) => h("option", { value: n }, `${n} stars`)));
  const comment = h("textarea", { id: "review-comment", required: true, maxlength: 2000, rows: 3 });
  const problems = h("div");
  return h("form", { class: "review-form", onsubmit: async (event) => {
    event.preventDefault();
    const data = await run("AddReview", { input: { productId, rating: Number(rating.value), comment: comment.value } });
    if (data.addReview.errors.length) return problems.replaceChildren(errorBox(data.addReview.errors.map((e) => e.message)));
    announce("Thank you, your review is published.");
    await published();
  } }, h("h3", {}, "Write a review"), h("label", { for: "review-rating" }, "Rating"), rating,
    h("label", { for: "review-comment" }, "Your review"), comment, problems, h("button", { type: "submit" }, "Publish review"));
}
