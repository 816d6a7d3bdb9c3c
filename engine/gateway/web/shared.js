// Views and pieces that both the coordinator and a member see: a period picker, the
// cluster's KPIs (and the register conditions for the coordinator), a member's own
// statement, the journal's head and the last audit, state badges.

import { h, fill, table } from "./dom.js";
import { energy, localDate, money, priceEl, ratio, startOfLocalDay, time } from "./format.js";
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
  const view = periodView(ctx, main, {
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
  if (ctx.me.role === "coordinator") registerCard(ctx, main);
  return view;
}

// A condition: its figure against the threshold, and whether it holds (a badge).
function condition(c, show) {
  const verdict = c.met === null ? "unverified" : c.met ? "met" : "not_met";
  return [`${show(c.value)} (${t("register_threshold")} ${show(c.threshold)}) `, h("span", { class: `verdict verdict-${verdict}` }, t(`register_${verdict}`))];
}

function stated(value, names) {
  return [h("span", { class: `verdict verdict-${value}` }, t(`register_${value}`)), names.length ? ` ${names.join(", ")}` : ""];
}

// The register conditions of the configuration in force now (coordinator only).
function registerCard(ctx, main) {
  const out = h("div", { id: "register", "aria-live": "polite" });
  main.append(h("section", { class: "card" }, h("h1", {}, t("register_heading")), h("p", { class: "note" }, t("register_intro")), out));
  const kw = (v) => `${Number(v).toLocaleString()} kW`;
  const mw = (v) => (v === null ? "–" : `${Number(v).toLocaleString()} MW`);
  ctx.api
    .register()
    .then((r) =>
      fill(
        out,
        figures([
          [t("register_installed"), condition(r.installed, mw), "register-installed"],
          [t("register_renewable_share"), condition(r.renewable_share, ratio), "register-renewable"],
          [t("register_demand_cover"), condition(r.demand_cover, ratio), "register-cover"],
          [t("register_storage_share"), condition(r.storage_share, ratio), "register-storage"],
          [t("register_network", r.max_voltage_kv), stated(r.network, r.voltage_unspecified), "register-network"],
          [t("register_municipality"), stated(r.municipality, r.municipality === "met" ? r.municipal_members : r.legal_kind_unspecified), "register-municipality"],
          [t("register_capacity"), `${kw(r.renewable_kw)} / ${kw(r.installed_kw)}`],
          [t("register_storage"), `${kw(r.storage_kw)}, ${Number(r.storage_kwh).toLocaleString()} kWh`],
          [t("register_generation"), `${energy(Number(r.expected_generation_kwh) * 1000)} / ${energy(Number(r.annual_demand_kwh) * 1000)}`],
        ]),
      ),
    )
    .catch((error) => fill(out, h("p", { class: "error", role: "alert" }, ctx.problemText(error))));
}

export const STATEMENT_FIELDS = [
  ["bought", "bought_wh", energy],
  ["sold", "sold_wh", energy],
  ["shortfall", "shortfall_wh", energy],
  ["surplus", "surplus_wh", energy],
  ["shared_in", "shared_in_wh", energy],
  ["shared_out", "shared_out_wh", energy],
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
  const audit = h("div", { id: "audit", "aria-live": "polite" });
  const showAudit = (a) =>
    fill(
      audit,
      figures([
        [t("audit_result"), h("span", { class: `verdict verdict-${a.ok ? "met" : "not_met"}` }, t(a.ok ? "audit_ok" : "audit_failed")), "audit-result"],
        [t("audit_checked_at"), time(a.checked_at, "year"), "audit-checked-at"],
        [t("audit_events"), String(a.events), "audit-events"],
        [t("seq"), String(a.journal.seq), "audit-seq"],
        [t("hash"), h("code", {}, a.journal.hash), "audit-hash"],
        ...(a.ok ? [] : [[t("audit_first_bad"), `${a.first_bad_seq}: ${a.problem}`, "audit-problem"]]),
      ]),
    );
  const failed = (error) => fill(audit, h("p", { class: "error", role: "alert" }, ctx.problemText(error)));
  const again = h("button", { type: "button", id: "audit-run" }, t("audit_run"));
  again.onclick = async () => {
    again.disabled = true;
    try {
      showAudit(await ctx.api.reaudit());
    } catch (error) {
      failed(error);
    } finally {
      again.disabled = false;
    }
  };
  main.append(
    h("section", { class: "card" }, h("h1", {}, t("journal_heading")), h("p", {}, t("journal_intro")), out),
    h("section", { class: "card" }, h("h2", {}, t("audit_heading")), h("p", { class: "note" }, t("audit_note")), audit, again),
  );
  const load = async () => {
    const health = await ctx.api.health();
    fill(out, figures([[t("seq"), String(health.journal.seq), "journal-seq"], [t("hash"), h("code", {}, health.journal.hash), "journal-hash"]]));
  };
  load();
  ctx.api.audit().then(showAudit, failed);
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
