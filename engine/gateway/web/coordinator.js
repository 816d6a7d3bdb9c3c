// The coordinator's views: the calendar with one interval's curves, result, trades and
// controls; the day; the members; every member's statement with a CSV download.

import { curves, dayChart } from "./chart.js";
import { h, fill, table } from "./dom.js";
import { countdown, energy, localDate, localTime, price, priceEl, priceKwh, startOfLocalDay, time } from "./format.js";
import { t } from "./i18n.js";
import { STATEMENT_FIELDS, periodForm, pointRows, stateBadge } from "./shared.js";

const PAST = 8; // cleared intervals shown before the one being delivered

const chartFormat = {
  x: (v) => String(Math.round(v * 100) / 100),
  y: (v) => String(Math.round(v)),
  q: (wh) => energy(wh),
  p: (p) => price(p),
};

// Run fn over items, at most `width` at once (the browser's connections are few).
async function eachLimited(items, width, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

export function calendarView(ctx, main) {
  const rules = ctx.me.rules;
  const lengthMs = rules.interval_minutes * 60e3;
  const calendarBox = h("div", { id: "calendar", class: "scroll" });
  const detail = h("section", { id: "detail", class: "card", "aria-live": "polite", "aria-busy": "false" }, h("p", {}, t("select_interval")));
  main.append(
    h(
      "div",
      { class: "split" },
      h("section", { class: "card" }, h("h1", {}, t("tab_calendar")), h("p", { class: "note" }, rulesText(ctx)), calendarBox),
      detail,
    ),
  );
  let entries = [];
  let selected = null;
  let loading = null;

  const loadCalendar = async () => {
    const from = new Date(Math.floor(Date.now() / lengthMs) * lengthMs - PAST * lengthMs);
    const cal = await ctx.api.calendar(from.toISOString().replace(".000Z", "Z"), rules.horizon_intervals + PAST + 1);
    entries = cal.intervals;
    renderCalendar();
    if (!selected) {
      const open = entries.find((e) => e.state === "open");
      if (open) {
        select(open.interval_start, false);
        const row = calendarBox.querySelector("tr.selected");
        if (row) calendarBox.scrollTop = Math.max(0, row.offsetTop - 120);
      }
    }
  };

  const renderCalendar = () => {
    const rows = entries.map((e) => {
      const isSelected = e.interval_start === selected;
      return h(
        "tr",
        { class: isSelected ? "selected" : "", dataset: { start: e.interval_start, state: e.state } },
        h(
          "td",
          {},
          h(
            "button",
            { type: "button", class: "link", "aria-pressed": isSelected ? "true" : "false", onclick: () => select(e.interval_start, true) },
            time(e.interval_start, true),
          ),
        ),
        h("td", {}, stateBadge(e.state)),
        gateCell(e),
        h("td", { title: `${price(e.floor)} – ${price(e.cap)} (${priceKwh(e.floor)} – ${priceKwh(e.cap)})` }, `${Math.round(Number(e.floor))}–${Math.round(Number(e.cap))}`),
      );
    });
    fill(calendarBox, table(t("calendar_caption", rules.timezone), [t("interval"), t("state"), t("gate"), `${t("band")} [PLN/MWh]`], rows, { id: "calendar-table" }));
  };

  const select = (start, focus) => {
    selected = start;
    renderCalendar();
    loadDetail(focus);
  };

  const loadDetail = async (focus = false) => {
    const start = selected;
    if (!start) return;
    const job = (async () => {
      const [interval, book] = await Promise.all([ctx.api.interval(start), ctx.api.book(start)]);
      const trades = interval.state === "open" ? { trades: [] } : await ctx.api.trades(start);
      return { interval, book, trades: trades.trades };
    })();
    loading = job;
    detail.setAttribute("aria-busy", "true");
    try {
      const data = await job;
      if (loading !== job || selected !== start) return;
      renderDetail(data);
      if (focus) detail.querySelector("h2")?.focus();
      // The first view is complete: the calendar and one interval's curves (measured by
      // tests/web/test_page_load.py through the browser's performance timeline).
      if (!performance.getEntriesByName("klaster-first-view").length) performance.mark("klaster-first-view");
    } catch (error) {
      fill(detail, h("p", { class: "error", role: "alert" }, ctx.problemText(error)));
    } finally {
      detail.setAttribute("aria-busy", "false");
    }
  };

  const renderDetail = ({ interval, book, trades }) => {
    const start = interval.interval_start;
    const outcome = interval.result || interval.indicative || null;
    const isResult = Boolean(interval.result);
    const point = outcome
      ? { price: outcome.price ?? outcome.buyer_price, volume_wh: outcome.volume_wh, kind: isResult ? "clearing" : "indicative" }
      : null;
    const chart = curves({
      bids: book.bids,
      asks: book.asks,
      band: { floor: interval.floor, cap: interval.cap },
      point,
      fmt: chartFormat,
      labels: {
        title: t("curves_label"),
        supply: t("supply"),
        demand: t("demand"),
        floor: t("floor"),
        cap: t("cap"),
        point: isResult ? t("clearing_point") : t("indicative_point"),
      },
    });
    fill(
      detail,
      h("h2", { tabindex: "-1" }, t("interval_heading", localTime(start, "year")), " ", stateBadge(interval.state)),
      h("p", { class: "note" }, time(start, "year"), " · ", `${t("gate")}: `, time(interval.gate_closes_at), " · ", `${t("band")}: `, priceEl(interval.floor), " – ", priceEl(interval.cap)),
      outcomeFigures(interval),
      h("figure", { id: "curves", dataset: { atGate: String(book.at_gate) } }, chart),
      levelsTable(book),
      isResult ? tradesTable(trades) : null,
      interval.state === "open" ? controls(ctx, interval, () => loadDetail()) : null,
    );
  };

  const tick = setInterval(() => {
    for (const cell of calendarBox.querySelectorAll("[data-gate]")) cell.textContent = gateText(cell.dataset.gate);
  }, 1000);
  // A new interval opens at every boundary: read the calendar again then, not more often.
  let boundary = null;
  const atBoundary = () => {
    const wait = lengthMs - (Date.now() % lengthMs) + 1000;
    boundary = setTimeout(() => {
      loadCalendar();
      atBoundary();
    }, wait);
  };
  atBoundary();
  loadCalendar().catch((error) => fill(calendarBox, h("p", { class: "error" }, ctx.problemText(error))));

  return {
    onMessage(message) {
      if (message.type === "interval" || message.type === "price_bands") {
        loadCalendar();
        if (message.type === "price_bands" || message.interval_start === selected) loadDetail();
      } else if (message.type === "book" && message.intervals.includes(selected)) {
        loadDetail();
      }
    },
    onReconnect() {
      loadCalendar();
      loadDetail();
    },
    stop() {
      clearInterval(tick);
      clearTimeout(boundary);
    },
  };
}

function rulesText(ctx) {
  const r = ctx.me.rules;
  return t("rules", r.interval_minutes, r.gate_closure_minutes + r.continuous_minutes, r.mechanism, price(r.network_fee_pln_mwh));
}

// The gate's countdown while the auction is open (a gate the coordinator closed early is
// closed, whatever its time).
function gateCell(entry) {
  if (entry.state !== "open" && entry.state !== "planned") return h("td", { class: "gate" }, t("gate_closed"));
  return h("td", { class: "gate", dataset: { gate: entry.gate_closes_at } }, gateText(entry.gate_closes_at));
}

function gateText(iso) {
  const left = countdown(iso);
  return left ? t("gate_in", left) : t("gate_closed");
}

function outcomeFigures(interval) {
  const rows = [];
  if (interval.indicative) {
    rows.push([t("indicative"), null]);
    rows.push([t("volume"), energy(interval.indicative.volume_wh), "indicative-volume"]);
    rows.push([t("price"), interval.indicative.price === null ? t("no_price") : priceEl(interval.indicative.price), "indicative-price"]);
  }
  const r = interval.result;
  if (r) {
    rows.push([t("result"), r.mechanism]);
    rows.push([t("volume"), energy(r.volume_wh), "result-volume"]);
    if (r.price !== null || r.buyer_price === null) {
      rows.push([t("price"), r.price === null ? t("no_price") : priceEl(r.price), "result-price"]);
    } else {
      rows.push([t("buyer_price"), priceEl(r.buyer_price), "result-price"]);
      rows.push([t("seller_price"), priceEl(r.seller_price)]);
    }
    const p = r.price ?? r.buyer_price;
    if (p !== null) {
      const share = (Number(p) - Number(interval.floor)) / (Number(interval.cap) - Number(interval.floor) || 1);
      rows.push([
        t("band"),
        h(
          "span",
          { class: "meter-wrap" },
          h("meter", { min: "0", max: "1", value: String(share), "aria-label": t("price_vs_band", price(p), price(interval.floor), price(interval.cap)) }),
          ` ${Math.round(share * 100)} %`,
        ),
      ]);
    }
  }
  return h(
    "dl",
    { class: "figures", id: "outcome" },
    rows.map(([label, value, id]) => [h("dt", {}, label), h("dd", { id }, value ?? "")]),
  );
}

function levelsTable(book) {
  const rows = [
    ...book.bids.map((l) => h("tr", {}, h("td", {}, t("buy")), h("td", {}, priceEl(l.price)), h("td", {}, energy(l.quantity_wh)))),
    ...book.asks.map((l) => h("tr", {}, h("td", {}, t("sell")), h("td", {}, priceEl(l.price)), h("td", {}, energy(l.quantity_wh)))),
  ];
  return h(
    "details",
    {},
    h("summary", {}, `${t("book_levels")} (${rows.length})`),
    rows.length ? table(null, [t("side"), t("price"), t("quantity")], rows) : h("p", {}, t("no_orders_book")),
  );
}

function tradesTable(trades) {
  if (!trades.length) return h("p", { id: "trades" }, t("no_trades"));
  const rows = trades.map((tr) =>
    h("tr", {}, h("td", {}, tr.buyer), h("td", {}, tr.seller), h("td", {}, energy(tr.quantity_wh)), h("td", {}, priceEl(tr.buyer_price)), h("td", {}, priceEl(tr.seller_price))),
  );
  return table(`${t("trades")} (${trades.length})`, [t("buyer"), t("seller"), t("quantity"), t("buyer_price"), t("seller_price")], rows, { id: "trades" });
}

function controls(ctx, interval, reload) {
  const start = interval.interval_start;
  const close = h(
    "button",
    {
      id: "close-gate",
      type: "button",
      class: "danger",
      onclick: async () => {
        if (!(await ctx.confirmAction(t("close_gate_confirm", localTime(start, true))))) return;
        try {
          const done = await ctx.api.closeGate(start);
          ctx.toast(t("gate_closed_done", t(`state_${done.state}`)));
          reload();
        } catch (error) {
          ctx.toast(ctx.problemText(error), "error");
        }
      },
    },
    t("close_gate"),
  );
  const floor = h("input", { id: "band-floor", type: "number", step: ctx.me.rules.tick_pln_mwh, value: interval.floor, required: true });
  const cap = h("input", { id: "band-cap", type: "number", step: ctx.me.rules.tick_pln_mwh, value: interval.cap, required: true });
  const bands = h(
    "form",
    {
      id: "publish-band",
      class: "inline",
      onsubmit: async (e) => {
        e.preventDefault();
        const question = t("publish_bands_confirm", price(floor.value), price(cap.value), localTime(start, true));
        if (!(await ctx.confirmAction(question))) return;
        try {
          await ctx.api.publishBands([{ interval_start: start, floor: floor.value, cap: cap.value }]);
          ctx.toast(t("bands_published"));
        } catch (error) {
          ctx.toast(ctx.problemText(error), "error");
        }
      },
    },
    h("label", { for: "band-floor" }, `${t("floor")} [PLN/MWh]`),
    floor,
    h("label", { for: "band-cap" }, `${t("cap")} [PLN/MWh]`),
    cap,
    h("button", { type: "submit" }, t("publish_bands")),
  );
  return h("div", { class: "controls" }, close, bands);
}

export function dayView(ctx, main) {
  const lengthMs = ctx.me.rules.interval_minutes * 60e3;
  const out = h("div", { id: "day", "aria-live": "polite" });
  const dateInput = h("input", { id: "day-date", type: "date", value: localDate(new Date()), required: true });
  const load = async () => {
    const start = startOfLocalDay(dateInput.value).getTime();
    const end = startOfLocalDay(localDate(new Date(start + 30 * 3600e3))).getTime();
    const starts = [];
    for (let s = start; s < end; s += lengthMs) starts.push(new Date(s).toISOString().replace(".000Z", "Z"));
    out.setAttribute("aria-busy", "true");
    const rows = await eachLimited(starts, 6, async (s) => {
      const interval = await ctx.api.interval(s);
      const kpis = interval.state === "settled" ? await ctx.api.kpis(s, new Date(new Date(s).getTime() + lengthMs).toISOString().replace(".000Z", "Z")) : null;
      return { start: s, interval, kpis };
    });
    out.setAttribute("aria-busy", "false");
    const chartRows = rows.map((r) => ({
      label: localTime(r.start),
      volume_wh: r.interval.result?.volume_wh ?? 0,
      price: r.interval.result ? (r.interval.result.price ?? r.interval.result.buyer_price) : null,
    }));
    const tableRows = rows.map((r) => {
      const k = r.kpis;
      const result = r.interval.result;
      return h(
        "tr",
        {},
        h("td", {}, time(r.start)),
        h("td", {}, stateBadge(r.interval.state)),
        h("td", {}, result ? priceEl(result.price ?? result.buyer_price) : "–"),
        h("td", {}, result ? energy(result.volume_wh) : "–"),
        h("td", {}, k ? energy(k.import_wh) : "–"),
        h("td", {}, k ? energy(k.export_wh) : "–"),
        h("td", {}, k ? energy(k.local_use_wh) : "–"),
        h("td", {}, k ? energy(k.boundary_import_wh) : "–"),
        h("td", {}, k ? energy(k.boundary_export_wh) : "–"),
      );
    });
    fill(
      out,
      h("figure", {}, dayChart({ rows: chartRows, fmt: chartFormat, labels: { title: t("day_chart_label") } })),
      h(
        "div",
        { class: "scroll" },
        table(t("day_caption"), [t("interval"), t("state"), t("price"), t("traded"), t("imported"), t("exported"), t("local_use"), t("from_grid"), t("to_grid")], tableRows, { id: "day-table" }),
      ),
    );
  };
  const form = h(
    "form",
    { class: "inline", onsubmit: (e) => { e.preventDefault(); load(); } },
    h("label", { for: "day-date" }, t("date")),
    dateInput,
    h("button", { type: "submit" }, t("show")),
  );
  main.append(h("section", { class: "card" }, h("h1", {}, t("day_heading")), form, out));
  load().catch((error) => fill(out, h("p", { class: "error" }, ctx.problemText(error))));
  return {};
}

export function membersView(ctx, main) {
  const out = h("div", { id: "members", class: "scroll" });
  main.append(h("section", { class: "card" }, h("h1", {}, t("members_heading")), out));
  ctx.api.members().then((listed) => {
    const rows = listed.members.map((m) =>
      h(
        "tr",
        {},
        h("td", {}, m.member_id),
        h("td", {}, m.name),
        h("td", {}, t(`role_${m.role}`)),
        h("td", {}, m.connection_points.length ? table(null, [t("point"), t("max_import"), t("max_export")], pointRows(m.connection_points), { class: "inner" }) : "–"),
      ),
    );
    fill(out, table(`${t("tab_members")} (${listed.members.length})`, [t("member"), t("name"), t("role"), t("point")], rows, { id: "members-table" }));
  });
  return {};
}

export function statementsView(ctx, main) {
  const out = h("div", { id: "statements", "aria-live": "polite" });
  const { form, submit } = periodForm("statements-period", async (from, to) => {
    out.setAttribute("aria-busy", "true");
    try {
      const listed = (await ctx.api.members()).members.filter((m) => m.role !== "dso");
      const all = await eachLimited(listed, 6, (m) => ctx.api.statement(from, to, m.member_id));
      const headers = [t("member"), ...STATEMENT_FIELDS.map(([key]) => t(key))];
      const rows = all.map((s) => h("tr", {}, h("td", {}, s.member), STATEMENT_FIELDS.map(([, field, show]) => h("td", {}, show(s[field])))));
      const csv = [
        ["member", ...STATEMENT_FIELDS.map(([, field]) => field), "intervals", "journal_seq", "journal_hash"].join(","),
        ...all.map((s) => [s.member, ...STATEMENT_FIELDS.map(([, field]) => s[field]), s.intervals, s.journal.seq, s.journal.hash].join(",")),
      ].join("\n");
      const href = URL.createObjectURL(new Blob([csv + "\n"], { type: "text/csv" }));
      const name = `statements-${from.slice(0, 10)}-${to.slice(0, 10)}.csv`;
      fill(
        out,
        h("p", {}, h("a", { id: "statements-csv", href, download: name, class: "button" }, t("download_csv"))),
        h("div", { class: "scroll" }, table(t("statements_all"), headers, rows, { id: "statements-table" })),
      );
    } catch (error) {
      fill(out, h("p", { class: "error", role: "alert" }, ctx.problemText(error)));
    } finally {
      out.setAttribute("aria-busy", "false");
    }
  });
  main.append(h("section", { class: "card" }, h("h1", {}, t("statements_heading")), form, out));
  submit();
  return {};
}
