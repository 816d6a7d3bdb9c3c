"""The web page in a real browser against ``klaster serve`` of the demo cluster: sign-in,
the coordinator's calendar and an interval's curves that follow the book and the gate
without a reload, a member's order form (submit, refusals in the page's words and in the
API's, cancel), a member's view of only its own orders, the other views, both languages.

Intervals: each test trades in an interval of its own, ``an_open_interval() + k`` lengths,
so the tests of the module (one server, one browser) do not see each other's orders.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from selenium.webdriver.support.ui import Select

from engine.config.demo import demo_cluster
from tests.serving import Server, an_open_interval
from tests.web.browser import Page

LENGTH = demo_cluster().interval_seconds
POINT = "PL-TAURON-0011"  # dom-01's connection point
OTHER_POINT = "PL-TAURON-0012"  # dom-02's


def interval(k: int) -> str:
    """The ISO start of the k-th interval after the first one open for at least 10 min."""
    start = an_open_interval() + k * LENGTH
    return datetime.fromtimestamp(start, UTC).isoformat().replace("+00:00", "Z")


def order(start: str, point: str, side: str, price: str, wh: int) -> dict[str, Any]:
    return {
        "interval_start": start,
        "connection_point": point,
        "side": side,
        "price": price,
        "quantity_wh": wh,
    }


def submit(demo: Server, member: str, body: dict[str, Any]) -> int:
    status, answer = demo.request("POST", "/v1/orders", demo.tokens[member], body)
    assert status == 201, answer
    return answer["order_id"]


def fill_order(page: Page, start: str, side: str, price: str, kwh: str) -> None:
    Select(page.find("#order-interval")).select_by_value(start)
    page.find(f"#side-{side}").click()
    for css, value in (("#order-price", price), ("#order-quantity", kwh)):
        field = page.find(css)
        field.clear()
        field.send_keys(value)
    page.find("#order-submit").click()


def watch_a_book(
    page: Page, demo: Server, start: str, sell: tuple[str, int], buy: tuple[str, int]
) -> None:
    """dom-01 sells and dom-02 buys in ``start``; the coordinator's page shows its curves
    (and marks itself, to tell later that it was not reloaded)."""
    submit(demo, "dom-01", order(start, POINT, "sell", *sell))
    submit(demo, "dom-02", order(start, OTHER_POINT, "buy", *buy))
    page.sign_in(demo.tokens["oke"])
    page.find(f'#calendar-table tr[data-start="{start}"] button').click()
    page.find('#curves[data-at-gate="false"] path.curve.supply')
    page.find("#curves path.curve.demand")
    page.driver.execute_script("window.notReloaded = true")


def test_a_bad_token_is_refused_in_the_apis_words(page: Page) -> None:
    page.driver.get(page.url + "/")
    page.driver.execute_script("sessionStorage.clear(); localStorage.clear();")
    page.driver.get(page.url + "/")
    page.find("#token").send_keys("not-a-token")
    page.find("#signin button[type=submit]").click()
    assert "Authorization: Bearer" in page.text("#signin-error", "token").text
    assert page.find("html").get_attribute("lang") == "pl"


def test_the_coordinator_sees_the_calendar_in_local_time(page: Page, demo: Server) -> None:
    page.sign_in(demo.tokens["oke"])
    assert "koordynator" in page.find("#who").text
    page.text("#live", "na żywo")  # the stream is open
    rows = page.all("#calendar-table tbody tr")
    assert len(rows) == demo_cluster().horizon_intervals + 9
    first_open = page.find("#calendar-table tr[data-state=open] time")
    utc = first_open.get_attribute("datetime")
    assert first_open.get_attribute("title") == utc.replace("T", " ").replace("Z", "") + " UTC"
    local = datetime.fromisoformat(utc).astimezone(demo_cluster().timezone).strftime("%H:%M")
    assert first_open.text.endswith(local)
    page.text("#calendar-table tr[data-state=open] .gate", "za ")
    page.screenshot("coordinator-calendar.png")


def test_the_curves_follow_the_book_and_the_result_appears_when_the_gate_closes(
    page: Page, demo: Server
) -> None:
    start = interval(1)
    watch_a_book(page, demo, start, ("300.00", 1000), ("450.00", 600))
    page.text("#indicative-volume", "0,600 kWh")
    # A new order reaches the open book: the stream says so, the page draws it.
    submit(demo, "dom-03", order(start, "PL-TAURON-0013", "sell", "280.00", 200))
    page.text("#indicative-volume", "0,600 kWh")
    page.until(lambda: page.find("#curves path.supply").get_attribute("data-points") == "2")
    page.text("#indicative-price", "PLN/MWh")
    # The coordinator closes the gate (asked to confirm); the result and curves follow.
    page.find("#close-gate").click()
    page.confirm()
    page.find('#curves[data-at-gate="true"] circle.point.clearing')
    page.text("#result-volume", "0,600 kWh")
    page.text("#result-price", "PLN/MWh")
    assert len(page.all("#trades tbody tr")) >= 1
    closed = page.find(f'#calendar-table tr[data-start="{start}"][data-state=cleared] .gate')
    assert closed.text == "zamknięta"  # closed early: no countdown to its clock gate
    assert page.driver.execute_script("return window.notReloaded") is True
    page.screenshot("coordinator-interval-cleared.png")


def test_a_gate_closed_elsewhere_reaches_the_open_page(page: Page, demo: Server) -> None:
    start = interval(2)
    watch_a_book(page, demo, start, ("310.00", 500), ("400.00", 500))
    status, _ = demo.request("POST", f"/v1/intervals/{start}/close", demo.tokens["oke"])
    assert status == 200
    page.find('#curves[data-at-gate="true"] circle.point.clearing')
    page.text("#result-volume", "0,500 kWh")
    assert page.driver.execute_script("return window.notReloaded") is True


def test_a_member_submits_and_cancels_an_order_through_the_form(page: Page, demo: Server) -> None:
    start = interval(3)
    page.sign_in(demo.tokens["dom-01"])
    assert "członek" in page.find("#who").text
    fill_order(page, start, "buy", "412.50", "0,25")
    toast = page.text(".toast", "przyjęte")
    order_id = int(toast.text.split()[1])
    row = page.find(f'#orders-table tr[data-order="{order_id}"]')
    assert "412,50 PLN/MWh" in row.text and "0,250 kWh" in row.text
    status, listed = demo.request(
        "GET", f"/v1/orders?interval_start={start}", demo.tokens["dom-01"]
    )
    assert [(o["order_id"], o["price"], o["quantity_wh"]) for o in listed["orders"]] == [
        (order_id, "412.50", 250)
    ]
    page.screenshot("member-orders.png")
    # Change its price: the replacement gets a new id.
    row.find_element("css selector", "button.replace").click()
    new_price = page.find(f"#replace-price-{order_id}")
    new_price.clear()
    new_price.send_keys("415,00")
    page.find("tr.editor button[type=submit]").click()
    replaced = page.text(".toast", "zastąpione")
    new_id = int(replaced.text.rstrip(".").split()[-1])
    row = page.find(f'#orders-table tr[data-order="{new_id}"]')
    assert "415,00 PLN/MWh" in row.text
    row.find_element("css selector", "button.cancel").click()
    page.confirm()
    page.text(".toast", f"Zlecenie {new_id} anulowane")
    page.gone(f'#orders-table tr[data-order="{new_id}"]')
    status, listed = demo.request(
        "GET", f"/v1/orders?interval_start={start}", demo.tokens["dom-01"]
    )
    assert [(o["order_id"], o["status"]) for o in listed["orders"]] == [
        (order_id, "cancelled"),
        (new_id, "cancelled"),
    ]


def test_the_form_refuses_in_its_words_and_shows_the_apis_refusal(page: Page, demo: Server) -> None:
    start = interval(4)
    page.sign_in(demo.tokens["dom-01"])
    # Outside the band: the page refuses and sends nothing.
    fill_order(page, start, "buy", "950.00", "1")
    assert "250.00 – 900.00" in page.text("#order-error", "przedziale").text
    assert page.find("#order-price").get_attribute("aria-invalid") == "true"
    # Two orders each within the point's limit, together above it: only the API knows.
    limit_wh = next(
        p.max_import_wh
        for m in demo_cluster().members
        for p in m.connection_points
        if p.id == POINT
    )
    kwh = f"{limit_wh / 1000:.3f}".replace(".", ",")
    fill_order(page, start, "buy", "400.00", kwh)
    page.text(".toast", "przyjęte")
    fill_order(page, start, "buy", "400.00", kwh)
    shown = page.text("#order-error", "Zlecenie odrzucone").text
    again = order(start, POINT, "buy", "400.00", limit_wh)
    status, problem = demo.request("POST", "/v1/orders", demo.tokens["dom-01"], again)
    assert status == 422 and problem["detail"] in shown
    page.screenshot("member-order-refused.png")


def test_a_member_sees_only_its_own_orders(page: Page, demo: Server) -> None:
    start = interval(5)
    theirs = submit(demo, "dom-02", order(start, OTHER_POINT, "buy", "401.00", 100))
    mine = submit(demo, "dom-01", order(start, POINT, "buy", "402.00", 100))
    page.sign_in(demo.tokens["dom-01"])
    page.find(f'#orders-table tr[data-order="{mine}"]')
    shown = {r.get_attribute("data-order") for r in page.all("#orders-table tbody tr")}
    assert str(theirs) not in shown
    assert "401,00" not in page.find("#orders").text
    page.go("points")
    assert [r.text.split()[0] for r in page.all("#points-table tbody tr")] == [POINT]
    page.go("fills")
    page.find("#fills-cleared")
    page.go("statements")
    page.find("#statement-intervals")
    page.screenshot("member-statement.png")


def test_the_other_views_and_the_english_switch(page: Page, demo: Server) -> None:
    page.sign_in(demo.tokens["oke"])
    page.go("day")
    page.until(lambda: len(page.all("#day-table tbody tr")) in (92, 96, 100))
    page.find("#day svg.chart")
    page.go("kpis")
    page.find("#kpi-intervals")
    page.go("members")
    members = len(demo_cluster().members)
    page.until(lambda: len(page.all("#members-table > tbody > tr")) == members)
    page.go("statements")
    page.find("#statements-csv")
    assert len(page.all("#statements-table tbody tr")) == members - 1  # not the dso
    page.go("journal")
    _, health = demo.request("GET", "/healthz")
    assert int(page.find("#journal-seq").text) >= 1
    assert len(page.find("#journal-hash").text) == 64 and health["journal"]["seq"] >= 1
    page.find("#language").click()
    page.text("#tab-calendar", "Calendar")
    assert page.find("html").get_attribute("lang") == "en"
    page.go("calendar")
    page.text("#calendar-table caption", "local time Europe/Warsaw")
    page.find("#calendar-table tr[data-state=open] button").send_keys("\n")  # the keyboard
    page.text("#detail h2", "Interval")
    page.screenshot("coordinator-calendar-en.png")


def test_the_register_conditions_and_the_last_audit(page: Page, demo: Server) -> None:
    page.sign_in(demo.tokens["oke"])
    page.go("kpis")
    page.find("#kpi-intervals")
    page.text("#register-installed", "MW")
    _, register = demo.request("GET", "/v1/register", demo.tokens["oke"])
    words = {True: "spełniony", False: "niespełniony", "met": "spełniony"}
    page.text("#register-installed .verdict", words[register["installed"]["met"]])
    page.text("#register-network .verdict", words.get(register["network"], "niesprawdzony"))
    page.screenshot("coordinator-register.png")
    page.go("journal")
    _, audit = demo.request("GET", "/v1/audit", demo.tokens["oke"])
    page.text("#audit-result", "nienaruszony")
    assert page.find("#audit-events").text == str(audit["events"])
    assert page.find("#audit-hash").text == audit["journal"]["hash"]
    assert page.find("#audit-checked-at time").get_attribute("datetime") == audit["checked_at"]
    page.driver.execute_script("document.querySelector('#audit').textContent = ''")
    page.find("#audit-run").click()  # checks again: up to the head now, read only
    page.text("#audit-result", "nienaruszony")
    assert int(page.find("#audit-events").text) >= audit["events"]
    page.screenshot("coordinator-audit.png")
    page.sign_in(demo.tokens["dom-01"])
    page.go("kpis")
    page.find("#kpi-intervals")
    assert page.all("#register") == []  # the register names every point: coordinator only
