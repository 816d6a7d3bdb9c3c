// The page: sign-in, the header, the views of the coordinator and of a member, and the
// stream that keeps them current. Views are functions (ctx, main) => {onMessage, stop}.

import { Api, ApiError, saveToken, savedToken } from "./api.js";
import { h, fill } from "./dom.js";
import { setZone } from "./format.js";
import { language, setLanguage, t } from "./i18n.js";
import * as coordinator from "./coordinator.js";
import * as member from "./member.js";
import * as shared from "./shared.js";

const VIEWS = {
  coordinator: [
    ["calendar", coordinator.calendarView],
    ["day", coordinator.dayView],
    ["kpis", shared.kpisView],
    ["members", coordinator.membersView],
    ["statements", coordinator.statementsView],
    ["journal", shared.journalView],
  ],
  member: [
    ["orders", member.ordersView],
    ["fills", member.fillsView],
    ["points", member.pointsView],
    ["statements", shared.statementView],
    ["kpis", shared.kpisView],
  ],
};

const header = document.getElementById("bar");
const main = document.getElementById("main");
let ctx = null;
let view = null;
let stopStream = null;

export function toast(text, kind = "info") {
  const box = document.getElementById("toast");
  const item = h("p", { class: `toast ${kind}` }, text);
  box.append(item);
  setTimeout(() => item.remove(), 6000);
}

// Ask before doing something that cannot be undone; resolves true on confirmation.
export function confirmAction(question) {
  const dialog = document.getElementById("confirm");
  fill(dialog.querySelector("p"), question);
  dialog.querySelector("[value=yes]").textContent = t("confirm");
  dialog.querySelector("[value=no]").textContent = t("cancel");
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
  });
}

// The API's problem text (its detail) or the error's message, for the page to show.
export function problemText(error) {
  if (error instanceof ApiError) return error.problem.detail || error.problem.title || error.message;
  return String(error.message || error);
}

function signIn(message) {
  stopStream?.();
  stopStream = null;
  document.title = t("title");
  fill(header, h("span", { class: "brand" }, "klaster"), languageButton());
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    required: true,
    "aria-describedby": "signin-intro",
  });
  const error = h("p", { id: "signin-error", class: "error", role: "alert" }, message || "");
  const form = h(
    "form",
    { id: "signin", class: "card narrow", onsubmit: (e) => { e.preventDefault(); start(input.value.trim()); } },
    h("h1", {}, t("signin_heading")),
    h("p", { id: "signin-intro" }, t("signin_intro")),
    h("label", { for: "token" }, t("token")),
    input,
    h("button", { type: "submit", class: "primary" }, t("signin")),
    error,
  );
  fill(main, form);
  input.focus();
}

function languageButton() {
  return h(
    "button",
    {
      id: "language",
      type: "button",
      lang: language() === "pl" ? "en" : "pl",
      "aria-label": t("switch_language_label"),
      onclick: () => {
        setLanguage(language() === "pl" ? "en" : "pl");
        if (ctx) show(currentTab());
        else signIn();
      },
    },
    t("switch_language"),
  );
}

async function start(token) {
  if (!token) return signIn();
  const api = new Api(token);
  let me;
  try {
    me = await api.me();
  } catch (error) {
    saveToken(null);
    return signIn(problemText(error));
  }
  saveToken(token);
  setZone(me.rules.timezone);
  ctx = { api, me, toast, confirmAction, problemText, live: false, fills: [] };
  stopStream = api.stream(
    (message) => {
      if (message.type === "fill") ctx.fills.unshift(message);
      view?.onMessage?.(message);
    },
    (state) => {
      ctx.live = state === "live";
      const dot = document.getElementById("live");
      if (dot) {
        dot.className = `live ${state}`;
        dot.textContent = t(state);
      }
      if (state === "live") view?.onReconnect?.();
    },
  );
  show(currentTab());
}

function tabs() {
  return VIEWS[ctx.me.role === "coordinator" ? "coordinator" : "member"];
}

function currentTab() {
  const wanted = location.hash.slice(1);
  const known = tabs().map(([name]) => name);
  return known.includes(wanted) ? wanted : known[0];
}

function show(name) {
  view?.stop?.();
  document.title = `${t(`tab_${name}`)} · ${ctx.me.cluster.name}`;
  const me = ctx.me;
  fill(
    header,
    h("span", { class: "brand" }, "klaster"),
    h("span", { class: "cluster" }, me.cluster.name),
    h(
      "nav",
      { "aria-label": t("nav") },
      tabs().map(([tab]) =>
        h("a", { href: `#${tab}`, id: `tab-${tab}`, "aria-current": tab === name ? "page" : null }, t(`tab_${tab}`)),
      ),
    ),
    h("span", { id: "live", class: `live ${ctx.live ? "live" : "offline"}`, role: "status" }, t(ctx.live ? "live" : "offline")),
    h("span", { id: "who", class: "who" }, `${me.name} (${t(`role_${me.role}`)})`),
    languageButton(),
    h("button", { id: "signout", type: "button", onclick: () => { saveToken(null); ctx = null; view?.stop?.(); view = null; signIn(); } }, t("signout")),
  );
  fill(main);
  const render = tabs().find(([tab]) => tab === name)[1];
  view = render(ctx, main) || {};
}

window.addEventListener("hashchange", () => {
  if (ctx) show(currentTab());
});

setLanguage(language());
start(savedToken());
