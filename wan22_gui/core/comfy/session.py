"""One conversation with a ComfyUI server: HTTP client, event stream and prompt watcher.

The GUI queue and `wan22 generate` both open a session the same way, so a job behaves the
same in both. A fixed client id (kept in the settings) means that after an app restart the
events of a job that is still running on the server come to us again. Given the app's
`ServerConnection`, a session hears at once when the ComfyUI it talks to was launched by the
app and its process ended, and its watcher ends the jobs there without waiting.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from wan22_gui.core.base.errors import ServerUnavailable
from wan22_gui.core.base.messages import MessageBus
from wan22_gui.core.base.settings import Settings, declare
from wan22_gui.core.comfy.connection import ServerConnection, ServerExit
from wan22_gui.core.comfy.transport import AuthHeader, normalize_base_url

log = logging.getLogger("wan22.jobs")

CLIENT_ID_KEY = "jobs.client_id"
declare(CLIENT_ID_KEY, "")


def stable_client_id(settings: Settings | None) -> str:
    """The app's WebSocket client id, created once and kept in the settings."""
    if settings is None:
        return uuid.uuid4().hex
    client_id = str(settings.get(CLIENT_ID_KEY) or "")
    if not client_id:
        client_id = uuid.uuid4().hex
        settings.set(CLIENT_ID_KEY, client_id)
    return client_id


class ServerSession:
    """Client, stream and watcher for one server URL. Close it when done (threads stop).

    The one session type of generation, interpolation and the benchmark. `ServerSession.of`
    wraps parts made elsewhere (fakes in tests); `borrowed()` lends an open session to code
    that closes what it is given, without closing the real one.
    """

    def __init__(self, url: str, *, client_id: str | None = None, connect_timeout: float = 10.0,
                 unreachable_timeout: float = 20.0, poll_interval: float = 3.0,
                 bus: MessageBus | None = None,
                 connection: ServerConnection | None = None,
                 auth: AuthHeader | None = None) -> None:
        from wan22_gui.core.comfy.client import ComfyClient
        from wan22_gui.core.comfy.stream import EventStream
        from wan22_gui.core.comfy.watcher import PromptWatcher

        self.url = url
        self.client: Any = ComfyClient(url, client_id=client_id, auth=auth)
        # `bus` hears a failing reader or watcher step (their threads go on)
        self.stream: Any = EventStream(self.client.base_url, self.client.client_id, bus=bus,
                                       auth=auth)
        self.watcher: Any = PromptWatcher(self.client, self.stream, poll_interval=poll_interval,
                                          unreachable_timeout=unreachable_timeout, bus=bus)
        self._connect_timeout = connect_timeout
        self._on_close: Callable[[], None] | None = None  # set by `of`: parts owned elsewhere
        self._connection = connection
        if connection is not None:
            connection.exited.connect(self._on_server_exit)

    def _on_server_exit(self, exit: ServerExit) -> None:
        """The launcher saw a ComfyUI process end; if it was ours, its prompts end now."""
        try:
            ours = normalize_base_url(exit.url) == self.client.base_url
        except ValueError:
            return
        if ours:
            self.watcher.server_gone(exit.message, hint=exit.hint, at=exit.at)

    @classmethod
    def of(cls, client: Any, watcher: Any, *, stream: Any = None,
           close: Callable[[], None] | None = None) -> ServerSession:
        """A session over a client and watcher made elsewhere; `close` runs on `close()`
        (nothing by default: the parts belong to someone else)."""
        session = cls.__new__(cls)
        session.url = str(getattr(client, "base_url", "") or "")
        session.client, session.stream, session.watcher = client, stream, watcher
        session._connect_timeout = 0.0
        session._on_close = close or (lambda: None)
        session._connection = None
        return session

    def borrowed(self) -> ServerSession:
        """The same client, stream and watcher; closing the copy leaves this session open."""
        return ServerSession.of(self.client, self.watcher, stream=self.stream)

    def open(self) -> ServerSession:
        """Check the server answers and connect the event stream.

        Raises:
            ServerUnavailable: nothing (or not ComfyUI) answers at the URL.
        """
        try:
            self.client.system_stats()
            self.stream.start()
            if not self.stream.wait_connected(self._connect_timeout):
                raise ServerUnavailable(
                    f"ComfyUI at {self.client.base_url} answers HTTP but its event socket "
                    f"(/ws) did not open within {self._connect_timeout:g} s.",
                    "Check that nothing between the app and ComfyUI blocks WebSockets.")
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()
            return
        if self._connection is not None:
            self._connection.exited.disconnect(self._on_server_exit)
        for stop in (self.watcher.close, self.stream.stop, self.client.close):
            try:
                stop()
            except Exception:  # closing must go on even if one part is already broken
                log.exception("closing the server session failed")

    def __enter__(self) -> ServerSession:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()
