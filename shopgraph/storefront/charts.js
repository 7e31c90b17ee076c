// Charts drawn as SVG by the code: a line over time and horizontal bars. No library:
// the two shapes the dashboard needs are a few dozen lines, and the figures stay
// readable without the picture (each chart is an img with a label, its numbers are
// also given as a table).
import { h } from "/storefront/dom.js";

const SVG = "http://www.w3.org/2000/svg";

/** The drawing's width in CSS pixels: the page's, so its 12px text stays 12px on a phone. */
function chartWidth() {
  return Math.round(Math.min(640, Math.max(300, document.getElementById("main").clientWidth - 40)));
}

/** An SVG element; presentation goes through attributes and classes (the CSP allows no inline style). */
function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function figure(svg, table) {
  return h("figure", { class: "chart" }, svg, h("details", {}, h("summary", {}, "Show the numbers"), table));
}

function dataTable(caption, columns, rows) {
  return h("table", { class: "chart-data" }, h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, cell))))));
}

/**
 * A line through `points` ({label, value}) in order, with the largest value and the
 * first and last labels on the axes; `format` writes a value.
 */
export function lineChart(title, points, format) {
  const width = chartWidth();
  const height = Math.round(width / 3), left = 70, right = 16, top = 16, bottom = 28;
  const max = Math.max(...points.map((p) => p.value), 0) || 1;
  const x = (i) => left + (points.length > 1 ? (i * (width - left - right)) / (points.length - 1) : (width - left - right) / 2);
  const y = (value) => top + (1 - value / max) * (height - top - bottom);
  const path = points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "line-chart" },
    s("title", {}, title),
    s("line", { x1: left, y1: y(0), x2: width - right, y2: y(0), class: "axis" }),
    s("line", { x1: left, y1: top, x2: left, y2: y(0), class: "axis" }),
    s("text", { x: left - 6, y: top + 4, "text-anchor": "end", class: "tick" }, format(max)),
    s("text", { x: left - 6, y: y(0), "text-anchor": "end", class: "tick" }, format(0)),
    points.length ? [
      s("text", { x: x(0), y: height - 8, "text-anchor": "start", class: "tick" }, points[0].label),
      s("text", { x: x(points.length - 1), y: height - 8, "text-anchor": "end", class: "tick" }, points[points.length - 1].label),
    ] : null,
    s("path", { d: path, class: "line" }),
    points.filter((p) => p.value > 0).map((p) => s("circle", { cx: x(points.indexOf(p)), cy: y(p.value), r: 3.5, class: "dot" },
      s("title", {}, `${p.label}: ${format(p.value)}`))));
  return figure(svg, dataTable(title, ["Day", "Value"], points.map((p) => [p.label, format(p.value)])));
}

/** Horizontal bars for `items` ({label, value, note}), longest first as given. */
export function barChart(title, items, format) {
  const width = chartWidth();
  // A narrow chart (a phone) leaves the notes to its table: they would not fit.
  const notes = width >= 500;
  const row = 30, labelWidth = Math.round(width * 0.34), noteWidth = Math.round(width * (notes ? 0.3 : 0.2));
  const height = Math.max(items.length, 1) * row + 8;
  const max = Math.max(...items.map((i) => i.value), 0) || 1;
  const span = width - labelWidth - noteWidth;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "bar-chart" },
    s("title", {}, title),
    items.map((item, i) => s("g", { transform: `translate(0 ${i * row + 4})` },
      s("text", { x: labelWidth - 8, y: row / 2 + 4, "text-anchor": "end", class: "label" }, truncate(item.label, Math.floor(labelWidth / 8))),
      s("rect", { x: labelWidth, y: 4, height: row - 10, width: Math.max(1, (item.value / max) * span).toFixed(1), class: "bar" }),
      s("text", { x: labelWidth + (item.value / max) * span + 6, y: row / 2 + 4, class: "value" }, [format(item.value), notes && item.note ? ` ${item.note}` : ""].join("")))));
  return figure(svg, dataTable(title, ["", "Value", ""], items.map((i) => [i.label, format(i.value), i.note ?? ""])));
}

function truncate(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
