"""The ComfyUI WebSocket (`/ws?clientId=...`) as a stream of typed events.

A daemon reader thread connects, announces `supports_preview_metadata` as its first message,
and emits every frame as an event on `events`. When the socket drops it emits ConnectionLost,
retries with back-off (0.5 s doubling to 10 s, reset after a successful connect) and emits
Reconnected once it is back. Events sent while disconnected are lost: PromptWatcher asks
/history and /queue to catch up.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Callable

import websocket

from wan22_gui.core.comfy.events import ConnectionLost, Reconnected, parse_binary, parse_text
from wan22_gui.core.comfy.transport import AuthHeader, websocket_url
from wan22_gui.core.base.messages import MessageBus
from wan22_gui.core.base.signals import Signal
from wan22_gui.core.base.supervise import Supervisor

log = logging.getLogger("wan22.comfy")

_RECV_POLL_S = 1.0  # how often a quiet reader looks at the stop flag


class EventStream:
    """Follows one client id's WebSocket.

    Signals:
        events(event): every parsed event, plus ConnectionLost / Reconnected. Emitted on the
            reader thread; the GUI must marshal it.
    """

    def __init__(self, base_url: str, client_id: str, *, announce_preview_metadata: bool = True,
                 backoff_initial: float = 0.5, backoff_max: float = 10.0,
                 connect_timeout: float = 5.0,
                 connector: Callable[..., Any] | None = None,
                 bus: MessageBus | None = None, auth: AuthHeader | None = None) -> None:
        self.url = websocket_url(base_url, client_id)
        self._auth = auth
        self.client_id = client_id
        self.events = Signal("comfy.events")
        self._announce = announce_preview_metadata
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._connect_timeout = connect_timeout
        self._connector = connector or websocket.create_connection
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._ws: Any = None
        self._thread: threading.Thread | None = None
        self._connected = threading.Event()
        self._supervisor = Supervisor("the ComfyUI event reader", bus=bus)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        """Start the reader thread (idempotent)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._supervised, name="comfy-ws", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Close the socket and wait for the reader thread to end."""
        self._stop.set()
        with self._lock:
            ws, thread = self._ws, self._thread
        if ws is not None:
            _quietly(ws.abort)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def wait_connected(self, timeout: float) -> bool:
        """Block until the socket is open (True) or `timeout` passes (False)."""
        return self._connected.wait(timeout)

    def drop_connection(self) -> None:
        """Close the socket as if the network failed (the reader reconnects). For tests/debug."""
        with self._lock:
            ws = self._ws
        if ws is not None:
            _quietly(ws.abort)

    # --- reader thread ------------------------------------------------------------------------

    def _supervised(self) -> None:
        """The reader loop, restarted after a back-off should it ever raise."""
        self._supervisor.run(self._run_until_stopped, wait=self._pause)

    def _run_until_stopped(self) -> bool:
        self._drop_stale_socket()
        self._run()
        return False

    def _drop_stale_socket(self) -> None:
        """A restarted loop first closes the socket the failed one left open."""
        with self._lock:
            ws = self._ws
        if ws is not None:
            self._close(ws)

    def _run(self) -> None:
        delay = self._backoff_initial
        lost_reported = False
        while not self._stop.is_set():
            try:
                ws = self._open()
            except Exception as exc:  # refused, DNS, handshake: all mean "not now"
                if not lost_reported:
                    self.events.emit(ConnectionLost(f"could not connect to {self.url}: {exc}"))
                    lost_reported = True
                self._pause(delay)
                delay = min(delay * 2, self._backoff_max)
                continue
            delay = self._backoff_initial
            if lost_reported:
                self.events.emit(Reconnected())
                lost_reported = False
            reason = self._read(ws)
            self._close(ws)
            if not self._stop.is_set():
                log.info("ComfyUI event socket dropped: %s", reason)
                self.events.emit(ConnectionLost(reason))
                lost_reported = True
                self._pause(delay)
                delay = min(delay * 2, self._backoff_max)
        self._connected.clear()

    def _pause(self, seconds: float) -> None:
        """Wait before the next connection attempt (returns early on stop)."""
        self._stop.wait(seconds)

    def _open(self) -> Any:
        extra: dict[str, Any] = {"header": [f"{self._auth[0]}: {self._auth[1]}"]} \
            if self._auth else {}  # only then: test connectors need not know the keyword
        ws = self._connector(self.url, timeout=self._connect_timeout, **extra)
        if self._announce:  # must be the first message we send
            ws.send(json.dumps({"type": "feature_flags",
                                "data": {"supports_preview_metadata": True}}))
        ws.settimeout(_RECV_POLL_S)
        with self._lock:
            self._ws = ws
        if self._stop.is_set():  # stop() raced with the connect
            self._close(ws)
            raise ConnectionAbortedError("stopped")
        self._connected.set()
        return ws

    def _read(self, ws: Any) -> str:
        """Emit frames until the socket fails; return why it ended."""
        while not self._stop.is_set():
            try:
                opcode, data = ws.recv_data()
            except websocket.WebSocketTimeoutException:
                continue
            except Exception as exc:  # closed, reset, aborted
                return str(exc) or type(exc).__name__
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return "the server closed the connection"
            self._supervisor.guard(self._emit_frame, opcode, data)  # one bad frame is skipped
        return "stopped"

    def _emit_frame(self, opcode: int, data: Any) -> None:
        if opcode == websocket.ABNF.OPCODE_TEXT:
            self.events.emit(parse_text(data))
        elif opcode == websocket.ABNF.OPCODE_BINARY:
            self.events.emit(parse_binary(data))

    def _close(self, ws: Any) -> None:
        self._connected.clear()
        with self._lock:
            if self._ws is ws:
                self._ws = None
        _quietly(ws.close)


def _quietly(fn: Callable[[], Any]) -> None:
    try:
        fn()
    except Exception:  # closing an already broken socket may raise anything
        pass
