"""PTB's stock ``HTTPXRequest`` served through :class:`~tgserve._bots.ptb_request.AiohttpRequest`.

A PTB bot built the default way calls the Bot API through httpx, which costs several
times the CPU of aiohttp per call (docs/benchmarks.md). When a bot's request is exactly
PTB's ``HTTPXRequest`` (not a subclass, its methods not replaced) with settings an
``AiohttpRequest`` reproduces (timeouts, pool size and keep-alive, HTTP/1.1, no proxy or
an ``http://`` one, no extra ``httpx_kwargs``, no socket options) and aiohttp is
installed, the bot's calls go through an ``AiohttpRequest`` with those settings; file
uploads still go through the original, with its write timeouts. Anything else is left
as it is. The bot's request and its ``get_updates`` request are judged alike, each on
its own settings. Opt out with the ``ptb_aiohttp`` option (``TGSERVE_PTB_AIOHTTP=0``).
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

log = logging.getLogger("tgserve.ptb")

Requests = tuple[BaseRequest, BaseRequest]  # PTB's order: (get_updates, everything else)
STOCK_KEYS = frozenset({"timeout", "proxy", "limits", "transport", "http1", "http2"})
PLAIN_ENV_PROXIES = frozenset({"http", "https", "no"})


def aiohttp_copy(request: BaseRequest) -> Any:
    """An ``AiohttpRequest`` with ``request``'s settings, or a string saying why not."""
    import httpx

    if type(request) is not HTTPXRequest:
        return f"{type(request).__name__} is not PTB's stock HTTPXRequest"
    if "do_request" in vars(request):
        return "its do_request is replaced"
    kwargs = getattr(request, "_client_kwargs", None)
    if not isinstance(kwargs, dict) or set(kwargs) != STOCK_KEYS:
        return "it has httpx_kwargs"
    if kwargs["transport"] is not None:
        return "it has socket options"
    if kwargs["http1"] is not True or kwargs["http2"] is not False:
        return "it uses HTTP/2"
    timeout, limits = kwargs["timeout"], kwargs["limits"]
    if not isinstance(timeout, httpx.Timeout) or not isinstance(limits, httpx.Limits):
        return "its timeout or limits are not httpx's own"
    if limits.max_keepalive_connections is not None:
        return "it limits keep-alive connections"
    proxy = _proxy(kwargs["proxy"])
    if proxy is False or proxy is True:
        return "its proxy is not a plain http:// URL"
    if proxy is None and not _plain_env_proxies():
        return "the environment names a proxy aiohttp would read differently"
    from tgserve._bots.ptb_request import AiohttpRequest

    return AiohttpRequest(
        limits.max_connections,
        read_timeout=timeout.read,
        write_timeout=timeout.write,
        connect_timeout=timeout.connect,
        pool_timeout=timeout.pool,
        proxy=proxy,
        keepalive=limits.keepalive_expiry,
        uploads=request,
    )


def swap_requests(bot: Bot) -> Requests | None:
    """Serve ``bot``'s stock requests through aiohttp; the originals (to put back with
    :func:`restore`), or None when nothing was swapped. Logs one line either way."""
    originals: Requests = bot._request  # PTB has no setter for its requests
    if importlib.util.find_spec("aiohttp") is None:
        log.info("PTB's requests left on httpx: aiohttp is not installed")
        return None
    swapped: list[BaseRequest] = []
    notes: list[str] = []
    copies: dict[int, BaseRequest] = {}
    for role, request in zip(("getUpdates", "bot calls"), originals, strict=True):
        if id(request) in copies:  # one request object serving both roles: one copy
            swapped.append(copies[id(request)])
            continue
        copy = aiohttp_copy(request)
        if isinstance(copy, str):
            swapped.append(request)
            notes.append(f"{role} left as is ({copy})")
        else:
            copies[id(request)] = copy
            swapped.append(copy)
            notes.append(f"{role} on aiohttp ({_settings(copy)})")
    if not copies:
        log.info("PTB's requests left as they are: %s", "; ".join(notes))
        return None
    _set(bot, (swapped[0], swapped[1]))
    log.info(
        "PTB's stock HTTPXRequest served through tgserve's AiohttpRequest with the same "
        "settings: %s; opt out with ptb_aiohttp=False (TGSERVE_PTB_AIOHTTP=0)",
        "; ".join(notes),
    )
    return originals


def restore(bot: Bot, originals: Requests) -> None:
    """Put back the requests :func:`swap_requests` replaced."""
    _set(bot, originals)


def _set(bot: Bot, requests: Requests) -> None:
    with bot._unfrozen():
        bot._request = requests


def _settings(request: Any) -> str:
    timeouts = ", ".join(f"{k} {v}" for k, v in request.timeouts.items())
    proxy = "a proxy" if request.proxy else "no proxy"
    return f"pool {request.connections}, timeouts {timeouts}, {proxy}"


def _proxy(value: Any) -> str | bool | None:
    """The proxy as a URL aiohttp takes, None for none, False when aiohttp cannot use it."""
    if value is None:
        return None
    import httpx

    if isinstance(value, httpx.URL | str):
        url = str(value)
        return url if url.startswith("http://") else False
    return False  # an httpx.Proxy may carry headers or an SSL context


def _plain_env_proxies() -> bool:
    """Whether the environment's proxies (if any) are http:// ones aiohttp reads alike."""
    import urllib.request

    found = urllib.request.getproxies_environment()
    if not set(found) <= PLAIN_ENV_PROXIES:
        return False  # ALL_PROXY, SOCKS and the like: httpx reads them, aiohttp does not
    return all(url.startswith("http://") for key, url in found.items() if key != "no")
