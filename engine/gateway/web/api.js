// The public /v1 API and the stream, with the member's token (kept in sessionStorage: it
// ends with the browser session). Nothing here knows the page; refusals come back as
// ApiError carrying the API's problem (RFC 9457) so the page can show its text.

const TOKEN_KEY = "klaster.token";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export function savedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class Api {
  constructor(token) {
    this.token = token;
  }

  async call(method, path, body) {
    const headers = { Accept: "application/json", Authorization: `Bearer ${this.token}` };
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  get(path, query) {
    const q = query ? "?" + new URLSearchParams(query).toString() : "";
    return this.call("GET", path + q);
  }

  me() { return this.get("/v1/me"); }
  members() { return this.get("/v1/members"); }
  calendar(from, count) {
    const query = { count: String(count) };
    if (from) query.from = from;
    return this.get("/v1/intervals", query);
  }
  interval(start) { return this.get(`/v1/intervals/${start}`); }
  book(start) { return this.get(`/v1/intervals/${start}/book`); }
  trades(start) { return this.get(`/v1/intervals/${start}/trades`); }
  orders(query) { return this.get("/v1/orders", query); }
  submit(order) { return this.call("POST", "/v1/orders", order); }
  cancel(orderId) { return this.call("DELETE", `/v1/orders/${orderId}`); }
  replace(orderId, change) { return this.call("PATCH", `/v1/orders/${orderId}`, change); }
  closeGate(start) { return this.call("POST", `/v1/intervals/${start}/close`); }
  publishBands(bands) { return this.call("POST", "/v1/price-bands", { bands }); }
  statement(from, to, member) {
    const query = { from, to };
    if (member) query.member = member;
    return this.get("/v1/statements", query);
  }
  kpis(from, to) { return this.get("/v1/kpis", { from, to }); }
  register() { return this.get("/v1/register"); }
  audit() { return this.get("/v1/audit"); }
  reaudit() { return this.call("POST", "/v1/audit"); }
  async health() {
    const response = await fetch("/healthz", { headers: { Accept: "application/json" } });
    return response.json();
  }

  // The stream: onMessage(message) for each typed message, onState("live" | "offline").
  // Reconnects after a pause that grows to 30 s; a closed token (4401) ends it for good.
  stream(onMessage, onState) {
    let delay = 1000;
    let socket = null;
    let stopped = false;
    const open = () => {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${location.host}/v1/stream`, [
        "klaster",
        `bearer.${this.token}`,
      ]);
      socket.onopen = () => {
        delay = 1000;
        onState("live");
      };
      socket.onmessage = (event) => onMessage(JSON.parse(event.data));
      socket.onclose = (event) => {
        onState("offline");
        if (stopped || event.code === 4401) return;
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
    };
    open();
    return () => {
      stopped = true;
      socket?.close();
    };
  }
}
