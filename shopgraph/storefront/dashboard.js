// The staff dashboard: the last 30 days of sales as a line, the top products as
// bars and the funnel from product views to paid orders, from insights' reports.
import { run } from "/storefront/api.js";
import { lineChart, barChart } from "/storefront/charts.js";
import { h, money } from "/storefront/dom.js";
import { staffOnly, staffNav } from "/storefront/staff.js";

const DAYS = 30;
const DAY_MS = 86_400_000;

export async function dashboardPage({ show, signal }) {
  if (!staffOnly(show)) return;
  // Whole UTC days, today included: the report's buckets are UTC days.
  const to = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS);
  const from = new Date(to.getTime() - DAYS * DAY_MS);
  const data = await run("StaffDashboard", { from: from.toISOString(), to: to.toISOString() });
  if (signal.aborted) return;
  const currency = data.salesReport[0]?.revenue.currency ?? data.topProducts[0]?.revenue.currency;
  const cash = (amount) => (currency ? money({ amount, currency }) : String(amount));
  const revenue = data.salesReport.reduce((sum, p) => sum + Math.round(Number(p.revenue.amount) * 100), 0) / 100;
  const orders = data.salesReport.reduce((sum, p) => sum + p.orders, 0);
  const f = data.funnel;
  show("Dashboard", staffNav("/staff"), h("h1", {}, "Dashboard"),
    h("p", { class: "period" }, `The last ${DAYS} days, through ${new Date(to.getTime() - DAY_MS).toISOString().slice(0, 10)} (UTC).`),
    h("dl", { class: "totals", id: "totals" },
      h("dt", {}, "Revenue"), h("dd", { id: "total-revenue" }, cash(revenue)),
      h("dt", {}, "Paid orders"), h("dd", { id: "total-orders" }, String(orders))),
    h("section", { "aria-labelledby": "sales-h", id: "sales" }, h("h2", { id: "sales-h" }, "Sales per day"),
      lineChart("Revenue per day", dailyRevenue(data.salesReport, from), cash)),
    h("section", { "aria-labelledby": "top-h", id: "top-products" }, h("h2", { id: "top-h" }, "Top products"),
      data.topProducts.length
        ? barChart("Top products by revenue", data.topProducts.map((p) => ({
            label: p.product?.name ?? "(deleted product)",
            value: Number(p.revenue.amount),
            note: `· ${p.unitsSold} sold · ${p.views} views`,
          })), cash)
        : h("p", { class: "empty" }, "Nothing sold yet.")),
    h("section", { "aria-labelledby": "funnel-h", id: "funnel" }, h("h2", { id: "funnel-h" }, "Funnel (sessions)"),
      barChart("Funnel from views to paid orders", [
        { label: "Viewed a product", value: f.views },
        { label: "Added to cart", value: f.addsToCart, note: rate(f.addsToCart, f.views) },
        { label: "Placed an order", value: f.orders, note: rate(f.orders, f.addsToCart) },
        { label: "Paid", value: f.paidOrders, note: rate(f.paidOrders, f.orders) },
      ], String)));
}

/** One point per day of the period, zero where the report has no bucket. */
function dailyRevenue(report, from) {
  const byDay = new Map(report.map((p) => [p.bucket.slice(0, 10), Number(p.revenue.amount)]));
  return Array.from({ length: DAYS }, (_, i) => {
    const day = new Date(from.getTime() + i * DAY_MS).toISOString().slice(0, 10);
    return { label: day, value: byDay.get(day) ?? 0 };
  });
}

function rate(part, whole) {
  return whole ? `(${Math.round((part / whole) * 100)}%)` : "";
}
