"""The one way from a core thread onto the GUI thread.

Core services publish on their own threads (`wan22_gui.core.base.signals.Signal`). A view never
connects to them directly; it calls

    subscribe(self, controller.state_changed, self._on_state)

which runs `_on_state` on the GUI thread, records the connection on `self`, and drops it when
`self` is destroyed (or when the view calls `unsubscribe_all(self)` in its shutdown). A method
that may be called from any thread is marked `@on_main` instead. A handler that raises goes to
`sys.excepthook`, i.e. the crash dialog, never into a log line nobody reads.
"""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable, Protocol, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

F = TypeVar("F", bound=Callable[..., Any])
_ATTR = "_wan22_subscriptions"


class CoreSignal(Protocol):
    """What `subscribe` needs of a signal: the core's Signal has these two methods."""

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]: ...

    def disconnect(self, callback: Callable[..., Any]) -> None: ...


class _Invoker(QObject):
    """Lives on the GUI thread; a queued signal carries each closure there."""

    posted = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.posted.connect(_run)


def _run(closure: Callable[[], Any]) -> None:
    try:
        closure()
    except Exception:
        sys.excepthook(*sys.exc_info())


def _invoker() -> _Invoker:
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("the GUI bridge needs a QApplication")
    invoker = getattr(app, "_wan22_invoker", None)
    if invoker is None:
        invoker = _Invoker()
        invoker.moveToThread(app.thread())
        app._wan22_invoker = invoker  # type: ignore[attr-defined]
    return invoker


def post(fn: Callable[..., Any], *args: Any) -> None:
    """Call `fn(*args)` on the GUI thread, soon (safe from any thread, also from the GUI's)."""
    _invoker().posted.emit(lambda: fn(*args))


def is_gui_thread() -> bool:
    app = QCoreApplication.instance()
    return app is not None and QThread.currentThread() == app.thread()


def on_main(method: F) -> F:
    """Decorate a handler that may be called from any thread: it always runs on the GUI thread
    (at once when called there), and not at all once its QObject is gone."""

    @functools.wraps(method)
    def wrapper(self: QObject, *args: Any) -> None:
        if is_gui_thread():
            method(self, *args)
            return
        post(lambda: shiboken6.isValid(self) and method(self, *args))

    return wrapper  # type: ignore[return-value]


def subscribe(owner: QObject, signal: CoreSignal, slot: Callable[..., Any]) -> None:
    """Run `slot` on the GUI thread for every emit of the core `signal`, while `owner` lives."""

    def marshalled(*args: Any) -> None:
        post(lambda: shiboken6.isValid(owner) and slot(*args))

    signal.connect(marshalled)
    connections: list[tuple[CoreSignal, Callable[..., Any]]] = owner.__dict__.setdefault(_ATTR, [])
    if not connections:
        owner.destroyed.connect(functools.partial(_disconnect_all, connections))
    connections.append((signal, marshalled))


def unsubscribe_all(owner: QObject) -> None:
    """Drop every connection `subscribe` made for `owner` (a panel's shutdown calls this)."""
    _disconnect_all(owner.__dict__.get(_ATTR, []))


def _disconnect_all(connections: list[tuple[CoreSignal, Callable[..., Any]]], *_: Any) -> None:
    while connections:
        signal, marshalled = connections.pop()
        signal.disconnect(marshalled)
