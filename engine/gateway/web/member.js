// A member's views: the order form and its own active orders (cancel, change), its fills,
// its connection points. The form refuses what the API would refuse for one order (band,
// tick, quantity, the point's limit) and shows the API's own words for anything else.

import { h, fill, table } from "./dom.js";
import { energy, localTime, price, priceEl, time } from "./format.js";
import { t } from "./i18n.js";
import { pointRows } from "./shared.js";

const PAGE = 100;

// Decimal text -> integer count of `tick` (exact for the tick's decimals), or null.
function inTicks(text, tick) {
  const decimals = (tick.split(".")[1] || "").length;
  if (!/^-?\d+(\.\d+)?$/.test(text.trim())) return null;
  const [whole, frac = ""] = text.trim().split(".");
  if (frac.length > decimals && /[^0]/.test(frac.slice(decimals))) return NaN;
  const scaled = BigInt(whole + frac.padEnd(decimals, "0").slice(0, decimals));
  const step = BigInt(tick.replace(".", ""));
  return scaled % step === 0n ? Number(scaled / step) : NaN;
}

export function ordersView(ctx, main) {
  const me = ctx.me;
  const rules = me.rules;
  const lengthMs = rules.interval_minutes * 60e3;
  const error = h("div", { id: "order-error", class: "error", role: "alert" });
  const intervalSelect = h("select", { id: "order-interval", name: "interval_start", required: true });
  const pointSelect = h(
    "select",
    { id: "order-point", name: "connection_point" },
    me.connection_points.map((p) => h("option", { value: p.id }, p.id)),
  );
  const sideBuy = h("input", { type: "radio", name: "side", id: "side-buy", value: "buy", checked: true });
  const sideSell = h("input", { type: "radio", name: "side", id: "side-sell", value: "sell" });
  const priceInput = h("input", { id: "order-price", name: "price", inputmode: "decimal", required: true, value: "400.00", "aria-describedby": "order-band" });
  const quantityInput = h("input", { id: "order-quantity", name: "quantity", inputmode: "decimal", required: true, value: "1", "aria-describedby": "order-limit" });
  const bandNote = h("span", { id: "order-band", class: "note" });
  const limitNote = h("span", { id: "order-limit", class: "note" });
  let open = [];

  const chosen = () => open.find((e) => e.interval_start === intervalSelect.value);
  const point = () => me.connection_points.find((p) => p.id === pointSelect.value);
  const side = () => (sideSell.checked ? "sell" : "buy");
  const updateNotes = () => {
    const entry = chosen();
    bandNote.textContent = entry ? `${t("band")}: ${price(entry.floor)} – ${price(entry.cap)}` : "";
    const p = point();
    if (p) limitNote.textContent = `max ${energy(side() === "buy" ? p.max_import_wh : p.max_export_wh)} (${t("limit_note")})`;
  };
  for (const el of [intervalSelect, pointSelect, sideBuy, sideSell]) el.addEventListener("change", updateNotes);

  // The refusal the API would give for this one order, in the page's words (or null).
  const refusal = () => {
    const entry = chosen();
    if (!entry) return [intervalSelect, t("err_no_interval")];
    const ticks = inTicks(priceInput.value.replace(",", "."), rules.tick_pln_mwh);
    const floor = inTicks(entry.floor, rules.tick_pln_mwh);
    const cap = inTicks(entry.cap, rules.tick_pln_mwh);
    if (ticks === null || Number.isNaN(ticks)) return [priceInput, t("err_price_tick", rules.tick_pln_mwh)];
    if (ticks < floor || ticks > cap) return [priceInput, t("err_price_band", entry.floor, entry.cap)];
    const kwh = Number(quantityInput.value.replace(",", "."));
    const wh = Math.round(kwh * 1000);
    if (!Number.isFinite(kwh) || wh < 1) return [quantityInput, t("err_quantity")];
    const p = point();
    const limit = side() === "buy" ? p.max_import_wh : p.max_export_wh;
    if (wh > limit) return [quantityInput, t("err_quantity_limit", p.id, t(side() === "buy" ? "to_buy" : "to_sell"), energy(limit))];
    return null;
  };

  const form = h(
    "form",
    {
      id: "order-form",
      class: "card",
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        for (const el of [intervalSelect, priceInput, quantityInput]) el.removeAttribute("aria-invalid");
        fill(error);
        const refused = refusal();
        if (refused) {
          refused[0].setAttribute("aria-invalid", "true");
          fill(error, refused[1]);
          refused[0].focus();
          return;
        }
        const order = {
          interval_start: intervalSelect.value,
          connection_point: pointSelect.value,
          side: side(),
          price: priceInput.value.replace(",", ".").trim(),
          quantity_wh: Math.round(Number(quantityInput.value.replace(",", ".")) * 1000),
        };
        try {
          const accepted = await ctx.api.submit(order);
          ctx.toast(t("order_accepted", accepted.order_id));
          loadOrders();
        } catch (err) {
          fill(error, h("strong", {}, `${t("order_refused")}: `), ctx.problemText(err));
        }
      },
    },
    h("h2", {}, t("order_form")),
    h("div", { class: "field" }, h("label", { for: "order-interval" }, t("interval")), intervalSelect),
    h("div", { class: "field" }, h("label", { for: "order-point" }, t("point")), pointSelect),
    h(
      "fieldset",
      { class: "field" },
      h("legend", {}, t("side")),
      h("label", { for: "side-buy" }, sideBuy, ` ${t("buy")}`),
      h("label", { for: "side-sell" }, sideSell, ` ${t("sell")}`),
    ),
    h("div", { class: "field" }, h("label", { for: "order-price" }, t("price_pln_mwh")), priceInput, bandNote),
    h("div", { class: "field" }, h("label", { for: "order-quantity" }, t("quantity_kwh")), quantityInput, limitNote),
    h("button", { type: "submit", id: "order-submit", class: "primary" }, t("submit")),
    error,
  );

  const list = h("div", { id: "orders", "aria-live": "polite" });
  main.append(h("div", { class: "split" }, form, h("section", { class: "card" }, h("h2", {}, t("my_orders")), list)));

  const loadIntervals = async () => {
    const cal = await ctx.api.calendar(undefined, rules.horizon_intervals + 1);
    open = cal.intervals.filter((e) => e.state === "open");
    const keep = intervalSelect.value;
    fill(intervalSelect, open.map((e) => h("option", { value: e.interval_start }, localTime(e.interval_start, true))));
    if (open.some((e) => e.interval_start === keep)) intervalSelect.value = keep;
    updateNotes();
  };

  let rows = [];
  const loadOrders = async (cursor) => {
    const page = await ctx.api.orders({ status: "active", limit: String(PAGE), ...(cursor ? { cursor: String(cursor) } : {}) });
    rows = cursor ? [...rows, ...page.orders] : page.orders;
    renderOrders(page.next_cursor);
  };

  const renderOrders = (nextCursor) => {
    if (!rows.length) {
      fill(list, h("p", {}, t("no_orders")));
      return;
    }
    const body = rows.map((o) =>
      h(
        "tr",
        { dataset: { order: String(o.order_id) } },
        h("td", {}, String(o.order_id)),
        h("td", {}, time(o.interval_start, true)),
        h("td", {}, o.connection_point),
        h("td", {}, t(o.side)),
        h("td", {}, priceEl(o.price)),
        h("td", {}, energy(o.quantity_wh)),
        h(
          "td",
          { class: "actions" },
          h("button", { type: "button", class: "replace", "aria-label": `${t("replace_order")} ${o.order_id}`, onclick: () => replaceForm(o) }, t("replace_order")),
          h("button", { type: "button", class: "cancel danger", "aria-label": t("cancel_order", o.order_id), onclick: () => cancel(o) }, t("cancel_order_short")),
        ),
      ),
    );
    fill(
      list,
      table(null, [t("order_id"), t("interval"), t("point"), t("side"), t("price"), t("quantity"), t("actions")], body, { id: "orders-table" }),
      nextCursor ? h("button", { type: "button", onclick: () => loadOrders(nextCursor) }, t("more")) : null,
    );
  };

  const cancel = async (o) => {
    if (!(await ctx.confirmAction(t("cancel_confirm", o.order_id)))) return;
    try {
      await ctx.api.cancel(o.order_id);
      ctx.toast(t("cancelled", o.order_id));
    } catch (err) {
      ctx.toast(ctx.problemText(err), "error");
    }
    loadOrders();
  };

  const replaceForm = (o) => {
    const row = list.querySelector(`tr[data-order="${o.order_id}"]`);
    const newPrice = h("input", { id: `replace-price-${o.order_id}`, inputmode: "decimal", value: o.price });
    const newQuantity = h("input", { id: `replace-quantity-${o.order_id}`, inputmode: "decimal", value: String(o.quantity_wh / 1000) });
    const replaceError = h("span", { class: "error", role: "alert" });
    const editor = h(
      "tr",
      { class: "editor" },
      h(
        "td",
        { colspan: "7" },
        h(
          "form",
          {
            class: "inline",
            onsubmit: async (e) => {
              e.preventDefault();
              try {
                const done = await ctx.api.replace(o.order_id, {
                  price: newPrice.value.replace(",", ".").trim(),
                  quantity_wh: Math.round(Number(newQuantity.value.replace(",", ".")) * 1000),
                });
                ctx.toast(t("replaced", done.replaced_order_id, done.order_id));
                loadOrders();
              } catch (err) {
                fill(replaceError, ctx.problemText(err));
              }
            },
          },
          h("strong", {}, t("replace_heading", o.order_id)),
          h("label", { for: newPrice.id }, t("price_pln_mwh")),
          newPrice,
          h("label", { for: newQuantity.id }, t("quantity_kwh")),
          newQuantity,
          h("button", { type: "submit", class: "primary" }, t("confirm")),
          h("button", { type: "button", onclick: () => editor.remove() }, t("cancel")),
          replaceError,
        ),
      ),
    );
    row.after(editor);
    newPrice.focus();
  };

  const refresh = () => {
    loadIntervals().catch((err) => fill(error, ctx.problemText(err)));
    loadOrders().catch((err) => fill(list, h("p", { class: "error" }, ctx.problemText(err))));
  };
  refresh();
  let boundary = null;
  const atBoundary = () => {
    boundary = setTimeout(() => {
      refresh();
      atBoundary();
    }, lengthMs - (Date.now() % lengthMs) + 1000);
  };
  atBoundary();
  return {
    onMessage(message) {
      if (message.type === "interval" || message.type === "price_bands" || message.type === "fill") refresh();
    },
    onReconnect: refresh,
    stop: () => clearTimeout(boundary),
  };
}

export function fillsView(ctx, main) {
  const live = h("div", { id: "fills-live", "aria-live": "polite" });
  const cleared = h("div", { id: "fills-cleared" });
  main.append(
    h("section", { class: "card" }, h("h1", {}, t("fills_heading")), h("h2", {}, t("fills_live")), live, h("h2", {}, t("fills_cleared")), cleared),
  );
  const renderLive = () => {
    const rows = ctx.fills.map((f) =>
      h("tr", {}, h("td", {}, time(f.interval_start, true)), h("td", {}, String(f.order_id)), h("td", {}, t(f.side)), h("td", {}, energy(f.quantity_wh)), h("td", {}, priceEl(f.price))),
    );
    fill(live, rows.length ? table(null, [t("interval"), t("order_id"), t("side"), t("quantity"), t("price")], rows) : h("p", {}, t("no_trades")));
  };
  const loadCleared = async () => {
    const page = await ctx.api.orders({ status: "cleared", limit: String(PAGE) });
    const rows = page.orders
      .filter((o) => o.filled_wh)
      .map((o) =>
        h("tr", {}, h("td", {}, time(o.interval_start, true)), h("td", {}, String(o.order_id)), h("td", {}, t(o.side)), h("td", {}, energy(o.filled_wh)), h("td", {}, priceEl(o.price))),
      );
    fill(cleared, rows.length ? table(null, [t("interval"), t("order_id"), t("side"), t("filled"), t("order_price")], rows) : h("p", {}, t("no_trades")));
  };
  renderLive();
  loadCleared();
  return {
    onMessage(message) {
      if (message.type === "fill") {
        renderLive();
        loadCleared();
      }
    },
  };
}

export function pointsView(ctx, main) {
  const me = ctx.me;
  main.append(
    h(
      "section",
      { class: "card" },
      h("h1", {}, t("points_heading")),
      table(null, [t("point"), t("max_import"), t("max_export")], pointRows(me.connection_points), { id: "points-table" }),
      h("p", { class: "note" }, t("limit_note")),
      h("p", { class: "note" }, `${t("band")}: `, time(me.band.interval_start, true), " ", priceEl(me.band.floor), " – ", priceEl(me.band.cap)),
    ),
  );
  return {};
}
