"""HTTP plumbing for the ComfyUI client: one session, a timeout on every request, and errors
that name the server and say what to do (never a raw requests traceback)."""

from __future__ import annotations

import ipaddress
import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from wan22_gui.core.base.errors import ComfyApiError, InputError, ServerUnavailable

if TYPE_CHECKING:
    import requests

log = logging.getLogger("wan22.comfy")

_ADDRESS_HINT = "Give the address ComfyUI prints when it starts, such as http://127.0.0.1:8188."


# (header name, value), e.g. ("Authorization", "Bearer abc"): what a remote backend's proxy wants
AuthHeader = tuple[str, str]


def auth_header(token: str | None, header: str = "Authorization") -> AuthHeader | None:
    """The header for `token` (None without one); a bare token in Authorization gets "Bearer"."""
    if not token:
        return None
    value = token if header.lower() != "authorization" or " " in token else f"Bearer {token}"
    return header, value


class BadServerAddress(InputError, ValueError):
    """The ComfyUI address is not an http(s) URL (a ValueError too, for older callers)."""


class ConnectionRefused(ServerUnavailable):
    """Nothing listens at the server's port any more (the connection was refused).

    Unlike a timeout (a busy server), a refusal after a working connection means the process
    is gone; the prompt watcher uses it to report a crash within seconds.
    """


def normalize_base_url(url: str) -> str:
    """`127.0.0.1:8188/` -> `http://127.0.0.1:8188` (BadServerAddress for what is no URL)."""
    if url is not None and not isinstance(url, str):  # e.g. a hand-edited settings file
        raise BadServerAddress(f"The ComfyUI address must be text, not {url!r}.", _ADDRESS_HINT)
    text = (url or "").strip()
    if not text:
        raise BadServerAddress("The ComfyUI address is empty.", _ADDRESS_HINT)
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- raises ValueError for a port outside 0..65535
    except ValueError as exc:
        raise BadServerAddress(f"'{url}' is not a valid ComfyUI address ({exc}).",
                               _ADDRESS_HINT) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadServerAddress(f"'{url}' is not an http(s) address of a ComfyUI server.",
                               _ADDRESS_HINT)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def websocket_url(base_url: str, client_id: str) -> str:
    """The /ws address for `base_url` (http -> ws, https -> wss)."""
    scheme, _, rest = normalize_base_url(base_url).partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws?clientId={client_id}"


class ServerError(ComfyApiError):
    """ComfyUI answered with a 5xx: its own failure, which may pass (a retry can work)."""


def _is_refusal(exc: BaseException) -> bool:
    """Whether a requests/urllib3 connection error is, deep down, a refused connection."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ConnectionRefusedError):
            return True
        seen.add(id(current))
        nested = [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        current = getattr(current, "reason", None) or (nested[0] if nested else None) \
            or current.__cause__ or current.__context__
    return "refused" in str(exc).lower()  # Windows words it "actively refused it"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HttpTransport:
    """Sends requests to one ComfyUI and maps every failure to ServerUnavailable/ComfyApiError.

    Thread-safe enough for our use: requests' connection pool is; we keep no cookies.
    """

    def __init__(self, base_url: str, timeout: float,
                 auth: AuthHeader | None = None) -> None:
        self.base_url = normalize_base_url(base_url)
        self.timeout = timeout
        import requests  # here, not at the top: the GUI's start-up makes no request

        self._session = requests.Session()
        # A system proxy must not capture a local ComfyUI; a remote one may need it.
        self._session.trust_env = not _is_loopback(urlsplit(self.base_url).hostname or "")
        if auth is not None:  # a remote backend behind a reverse proxy that wants a token
            self._session.headers[auth[0]] = auth[1]

    def close(self) -> None:
        self._session.close()

    def request(self, method: str, path: str, *, ok: tuple[int, ...] = (200,),
                timeout: float | tuple[float, float] | None = None,
                **kwargs: Any) -> requests.Response:
        """Send one request; return the response when its status is in `ok`."""
        import requests

        where = f"{method} {path}"
        limit = timeout or self.timeout
        try:
            response = self._session.request(method, self.base_url + path, timeout=limit,
                                             **kwargs)
        except requests.Timeout as exc:
            raise self.timeout_error(where, limit) from exc
        except requests.ConnectionError as exc:
            raise self.unreachable_error(exc) from exc
        except requests.RequestException as exc:
            raise ServerUnavailable(
                f"Could not talk to ComfyUI at {self.base_url}: {exc}",
                hint="Check the server address in the ComfyUI panel.",
            ) from exc
        if response.status_code not in ok:
            raise self.status_error(where, response)
        return response

    def get_json(self, path: str, *, params: dict[str, Any] | None = None,
                 expect: type = dict) -> Any:
        """GET a JSON reply of type `expect` (ComfyApiError when it is anything else)."""
        response = self.request("GET", path, params=params)
        return self.decode_json(f"GET {path}", response, expect)

    def post_json(self, path: str, body: dict[str, Any]) -> requests.Response:
        """POST a JSON body to a route that answers with an empty 200."""
        return self.request("POST", path, json=body)

    def decode_json(self, where: str, response: requests.Response, expect: type = dict) -> Any:
        try:
            value = response.json()
        except (ValueError, json.JSONDecodeError):
            raise self.not_comfy_error(where, response) from None
        if not isinstance(value, expect):
            raise ComfyApiError(
                f"ComfyUI at {self.base_url} answered {where} with a {type(value).__name__} "
                f"where a {expect.__name__} was expected.",
                hint="Is this address really ComfyUI? If so, it may be too old or too new "
                     "for this app.",
            )
        return value

    def timeout_error(self, where: str, limit: float | tuple[float, float]) -> ServerUnavailable:
        seconds = limit[1] if isinstance(limit, tuple) else limit
        return ServerUnavailable(
            f"ComfyUI at {self.base_url} did not answer {where} within {seconds:g} s.",
            hint="It may be busy loading models or stuck. Wait a moment and try again, or "
                 "restart ComfyUI from the ComfyUI panel.",
        )

    def unreachable_error(self, exc: Exception) -> ServerUnavailable:
        text = str(exc).lower()
        if "badstatusline" in text.replace(" ", "") or "invalid http" in text:
            return ServerUnavailable(
                f"Something at {self.base_url} answered, but not in HTTP, so it is not ComfyUI.",
                hint="Check the address and port: another program may be using it.")
        refused = _is_refusal(exc)
        kind = ConnectionRefused if refused else ServerUnavailable
        return kind(
            f"No ComfyUI answers at {self.base_url} "
            f"({'connection refused' if refused else 'no connection'}).",
            hint="Start ComfyUI from the ComfyUI panel, or check the address and port.",
        )

    def not_comfy_error(self, where: str, response: requests.Response) -> ComfyApiError:
        kind = response.headers.get("Content-Type", "unknown content").split(";")[0]
        sample = response.text[:80].strip().replace("\n", " ")
        return ComfyApiError(
            f"The server at {self.base_url} answered {where} with {kind} ({sample!r}), "
            f"not ComfyUI's JSON.",
            hint="Check the address and port: another program may be using it.",
        )

    def status_error(self, where: str, response: requests.Response) -> ComfyApiError:
        status = response.status_code
        body = response.text[:300].strip()
        if status == 404:
            return ComfyApiError(
                f"The server at {self.base_url} has no {where.split(' ', 1)[1]} "
                f"(HTTP 404).",
                hint="Is this address really ComfyUI, and a version this app supports?",
            )
        text = f"ComfyUI at {self.base_url} answered {where} with HTTP {status}"
        return (ServerError if status >= 500 else ComfyApiError)(
            text + (f": {body}" if body else "."),
            hint="See the ComfyUI console for details." if status >= 500 else "",
        )
