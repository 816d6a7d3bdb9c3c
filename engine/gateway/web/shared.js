// Views and pieces that both the coordinator and a member see: a period picker, the
// cluster's KPIs, a member's own statement, the journal's head, state badges.

import { h, fill, table } from "./dom.js";
import { energy, localDate, money, priceEl, ratio, startOfLocalDay } from "./format.js";
import { t } from "./i18n.js";

export function stateBadge(state) {
  return h("span", { class: `state state-${state}` }, t(`state_${state}`));
}

function nextDay(day) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

// A form with local dates from and to (inclusive); onPeriod(fromIso, toIso) on submit.
export function periodForm(id, onPeriod, extra = []) {
  const today = localDate(new Date());
  const from = h("input", { id: `${id}-from`, type: "date", value: today, required: true });
  const to = h("input", { id: `${id}-to`, type: "date", value: today, required: true });
  const submit = () => {
    const start = startOfLocalDay(from.value).toISOString().replace(".000Z", "Z");
    const end = startOfLocalDay(nextDay(to.value)).toISOString().replace(".000Z", "Z");
    onPeriod(start, end);
  };
  const form = h(
    "form",
    { id, class: "inline", onsubmit: (e) => { e.preventDefault(); submit(); } },
    h("label", { for: `${id}-from` }, t("from")),
    from,
    h("label", { for: `${id}-to` }, t("to")),
    to,
    extra,
    h("button", { type: "submit" }, t("show")),
  );
  return { form, submit };
}

function figures(rows) {
  return h(
    "dl",
    { class: "figures" },
    rows.map(([label, value, id]) => [h("dt", {}, label), h("dd", { id }, value)]),
  );
}

// A card with a period form that shows the figures figuresOf(from, to) resolves to.
function periodView(ctx, main, { id, heading, figuresOf }) {
  const out = h("div", { id, "aria-live": "polite" });
  const { form, submit } = periodForm(`${id}-period`, async (from, to) => {
    try {
      fill(out, figures(await figuresOf(from, to)));
    } catch (error) {
      fill(out, h("p", { class: "error", role: "alert" }, ctx.problemText(error)));
    }
  });
  main.append(h("section", { class: "card" }, h("h1", {}, heading), form, out));
  submit();
  return {};
}

export function kpisView(ctx, main) {
  return periodView(ctx, main, {
    id: "kpis",
    heading: t("kpis_heading"),
    figuresOf: async (from, to) => {
      const k = await ctx.api.kpis(from, to);
      return [
        [t("kpi_intervals"), String(k.intervals), "kpi-intervals"],
        [t("kpi_pending"), String(k.pending.length)],
        [t("kpi_import"), energy(k.import_wh)],
        [t("kpi_export"), energy(k.export_wh)],
        [t("kpi_local_use"), energy(k.local_use_wh)],
        [t("kpi_traded"), energy(k.traded_wh)],
        [t("kpi_boundary_import"), energy(k.boundary_import_wh)],
        [t("kpi_boundary_export"), energy(k.boundary_export_wh)],
        [t("kpi_import_covered"), ratio(k.import_covered_locally)],
        [t("kpi_export_used"), ratio(k.export_used_locally)],
        [t("kpi_traded_share"), ratio(k.traded_share)],
        [t("kpi_buyer_price"), priceEl(k.average_buyer_price)],
        [t("kpi_seller_price"), priceEl(k.average_seller_price)],
        [t("kpi_savings"), money(k.savings_grosz)],
        [t("kpi_renewable"), `${energy(k.renewable_local_use_wh)} (${ratio(k.renewable_used_locally)})`],
      ];
    },
  });
}

export const STATEMENT_FIELDS = [
  ["bought", "bought_wh", energy],
  ["sold", "sold_wh", energy],
  ["shortfall", "shortfall_wh", energy],
  ["surplus", "surplus_wh", energy],
  ["cost", "cost_grosz", money],
  ["fee", "fee_grosz", money],
  ["baseline", "baseline_grosz", money],
  ["savings", "savings_grosz", money],
];

export function statementView(ctx, main) {
  return periodView(ctx, main, {
    id: "statement",
    heading: t("statements_heading"),
    figuresOf: async (from, to) => {
      const s = await ctx.api.statement(from, to);
      return [
        [t("kpi_intervals"), String(s.intervals), "statement-intervals"],
        ...STATEMENT_FIELDS.map(([key, field, show]) => [t(key), show(s[field])]),
        [t("seq"), String(s.journal.seq)],
        [t("hash"), h("code", {}, s.journal.hash)],
      ];
    },
  });
}

export function journalView(ctx, main) {
  const out = h("div", { id: "journal" });
  main.append(
    h("section", { class: "card" }, h("h1", {}, t("journal_heading")), h("p", {}, t("journal_intro")), out, h("p", { class: "note" }, t("audit_note"))),
  );
  const load = async () => {
    const health = await ctx.api.health();
    fill(out, figures([[t("seq"), String(health.journal.seq), "journal-seq"], [t("hash"), h("code", {}, health.journal.hash), "journal-hash"]]));
  };
  load();
  return { onMessage: load };
}

// Rows of a member's connection points with their limits.
export function pointRows(points) {
  return points.map((p) =>
    h(
      "tr",
      {},
      h("td", {}, p.id),
      h("td", { title: `${p.max_import_kw} kW` }, energy(p.max_import_wh)),
      h("td", { title: `${p.max_export_kw} kW` }, energy(p.max_export_wh)),
    ),
  );
}

export { table };
