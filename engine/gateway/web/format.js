// Numbers, prices, energy and times as people read them: local time of the cluster on
// screen with the UTC instant in the tooltip, PLN/MWh with PLN/kWh beside it, kWh or MWh.

import { language } from "./i18n.js";

let zone = "Europe/Warsaw";

export function setZone(timezone) {
  zone = timezone;
}

const locale = () => (language() === "pl" ? "pl-PL" : "en-GB");

function number(value, digits) {
  return new Intl.NumberFormat(locale(), {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

// An element showing the local time with its UTC instant as a tooltip.
export function time(iso, withDate = false) {
  const el = document.createElement("time");
  el.dateTime = iso;
  el.title = `${iso.replace("T", " ").replace("Z", "")} UTC`;
  el.textContent = localTime(iso, withDate);
  return el;
}

export function localTime(iso, withDate = false) {
  const options = { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (withDate) Object.assign(options, { day: "2-digit", month: "2-digit" });
  if (withDate === "year") options.year = "numeric";
  return new Intl.DateTimeFormat(locale(), options).format(new Date(iso));
}

// The local calendar date (YYYY-MM-DD) of an instant.
export function localDate(date) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone, dateStyle: "short" });
  return parts.format(date);
}

// The UTC instant at which a local date (YYYY-MM-DD) begins in the cluster's time zone.
export function startOfLocalDay(day) {
  const guess = new Date(`${day}T00:00:00Z`);
  for (const offsetHours of [-1, -2, -3, 0, 1, -4]) {
    const at = new Date(guess.getTime() + offsetHours * 3600e3);
    if (localDate(at) === day && localTime(at.toISOString()) === "00:00") return at;
  }
  return guess;
}

export function price(pln_mwh) {
  if (pln_mwh === null || pln_mwh === undefined) return "–";
  return `${number(Number(pln_mwh), 2)} PLN/MWh`;
}

export function priceKwh(pln_mwh) {
  if (pln_mwh === null || pln_mwh === undefined) return "";
  return `${number(Number(pln_mwh) / 1000, 4)} PLN/kWh`;
}

// A price element: PLN/MWh on screen, PLN/kWh in the tooltip.
export function priceEl(pln_mwh) {
  const el = document.createElement("span");
  el.textContent = price(pln_mwh);
  el.title = priceKwh(pln_mwh);
  return el;
}

export function energy(wh) {
  if (wh === null || wh === undefined) return "–";
  const kwh = Number(wh) / 1000;
  if (Math.abs(kwh) >= 1000) return `${number(kwh / 1000, 3)} MWh`;
  return `${number(kwh, 3)} kWh`;
}

export function money(grosz) {
  return `${number(Number(grosz) / 100, 2)} PLN`;
}

export function ratio(value) {
  if (value === null || value === undefined) return "–";
  return `${number(Number(value) * 100, 1)} %`;
}

// "4 min 05 s" until an instant (or null once it has passed).
export function countdown(iso, now = Date.now()) {
  const left = Math.round((new Date(iso).getTime() - now) / 1000);
  if (left <= 0) return null;
  const hours = Math.floor(left / 3600);
  const minutes = Math.floor((left % 3600) / 60);
  const seconds = String(left % 60).padStart(2, "0");
  return hours ? `${hours} h ${minutes} min` : `${minutes} min ${seconds} s`;
}
