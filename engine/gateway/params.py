"""Who may call, and the parameters of paths and query strings.

Path parameters that name no resource are 404 (``/v1/orders/abc``, an interval path that is
not an interval start, or not an instant of the range the market takes); query parameters
with a bad value (an instant outside that range too) are 422 naming the parameter.
"""

from __future__ import annotations

from aiohttp import web

from engine.api.routes import MAX_PERIOD_DAYS
from engine.api.values import INT64_MAX
from engine.gateway.keys import CALLER, RUNTIME, Caller
from engine.gateway.problems import Problem, unprocessable
from engine.gateway.quantities import parse_instant
from engine.market.market import Market
from engine.model.calendar import INSTANT_RANGE

MAX_PERIOD_S = MAX_PERIOD_DAYS * 86_400


def caller(request: web.Request, *roles: str) -> Caller:
    """The authenticated caller; 403 unless its role is one of ``roles`` (if given)."""
    who = request[CALLER]
    if roles and who.role not in roles:
        allowed = " or ".join(roles)
        raise Problem(403, "role-forbidden", f"only the {allowed} may do this, not a {who.role}")
    return who


def market(request: web.Request) -> Market:
    return request.app[RUNTIME].market


def order_id(request: web.Request) -> int:
    text = request.match_info["order_id"]
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise Problem(404, "unknown-order", f"no order {text!r}")
    return int(text)


def interval(request: web.Request) -> int:
    """The ``{start}`` path parameter: ISO 8601 or int seconds, an interval start."""
    text = request.match_info["start"]
    value: int | str = int(text) if text.isascii() and text.isdigit() and len(text) < 19 else text
    try:
        start = parse_instant(value, "start")
    except Problem:
        detail = f"no interval {text!r:.80}: an interval start is an instant {INSTANT_RANGE}"
        raise Problem(404, "not-found", detail) from None
    if not market(request).calendar.is_start(start):
        raise Problem(404, "not-found", f"no interval starts at {text!r}")
    return start


def instant(request: web.Request, name: str, default: int | None = None) -> int:
    """A query parameter holding an instant (required unless ``default`` is given)."""
    text = request.query.get(name)
    if text is None:
        if default is None:
            raise unprocessable(name, f"query parameter {name} is required")
        return default
    value: int | str = int(text) if text.isascii() and text.isdigit() and len(text) < 19 else text
    return parse_instant(value, name)


def count(request: web.Request, name: str, default: int, maximum: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 9 and 1 <= int(text) <= maximum):
        raise unprocessable(name, f"{name} must be an integer in 1..{maximum}, was {text!r:.20}")
    return int(text)


def order_id_after(request: web.Request, name: str) -> int:
    """A query parameter holding an order id to continue after (0 if absent)."""
    text = request.query.get(name)
    if text is None:
        return 0
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= INT64_MAX):
        raise unprocessable(
            name, f"{name} must be a next_cursor as given (an integer >= 0), was {text!r:.20}"
        )
    return int(text)


def choice(request: web.Request, name: str, allowed: tuple[str, ...]) -> str | None:
    """A query parameter that must be one of ``allowed`` (None if absent)."""
    text = request.query.get(name)
    if text is not None and text not in allowed:
        raise unprocessable(name, f"{name} must be one of {', '.join(allowed)}, was {text!r:.20}")
    return text


def period(request: web.Request) -> tuple[int, int]:
    """``?from=&to=``: a half-open period [from, to) of at most a year."""
    start, end = instant(request, "from"), instant(request, "to")
    if end <= start:
        raise unprocessable("to", "to must be after from")
    if end - start > MAX_PERIOD_S:
        raise unprocessable("to", f"a period may span at most {MAX_PERIOD_S // 86_400} days")
    return start, end
