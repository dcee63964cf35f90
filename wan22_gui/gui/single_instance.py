"""One window per user and profile: a second launch brings the first window forward and exits.

The first launch listens on a local socket (a named pipe on Windows) whose name is derived from
the user and the app's config folder, so a portable install (WAN22_HOME) or a test has its own.
A later launch connects, sends "activate" and quits. A lock file around the check keeps two
launches at the same moment from both becoming the first.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QDir, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger("wan22.gui")

ACTIVATE = b"activate\n"
CONNECT_TIMEOUT_MS = 1000
LOCK_TIMEOUT_MS = 5000
READ_TIMEOUT_MS = 500


def server_name(profile_dir: Path) -> str:
    """A socket name unique to this user and profile (short: Unix socket paths are limited)."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some sandboxes; the profile path still separates them
        user = ""
    digest = hashlib.sha256(f"{user}\0{Path(profile_dir).resolve()}".encode()).hexdigest()[:16]
    return f"wan22-studio-{digest}"


class SingleInstance(QObject):
    """The guard. Call `acquire()` once; keep the object alive while the app runs.

    Signals:
        activate_requested(): another launch asked this one to show its window.
    """

    activate_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server: QLocalServer | None = None
        self._lock = QLockFile(QDir(QDir.tempPath()).filePath(f"{name}.lock"))
        self._lock.setStaleLockTime(0)  # a crashed holder's lock is stale at once (by PID)

    def acquire(self) -> bool:
        """True if this is the first launch (now listening); False if another one runs and was
        asked to come forward."""
        locked = self._lock.tryLock(LOCK_TIMEOUT_MS)
        try:
            if self.notify_running():
                return False
            return self._listen()
        finally:
            if locked:
                self._lock.unlock()

    def notify_running(self) -> bool:
        """Send "activate" to a running first launch; False when none answers."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
            return False
        socket.write(ACTIVATE)
        socket.flush()
        socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
        socket.disconnectFromServer()
        if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
            socket.waitForDisconnected(CONNECT_TIMEOUT_MS)
        return True

    @property
    def listening(self) -> bool:
        return self._server is not None and self._server.isListening()

    def _listen(self) -> bool:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        # Nobody answered, so a socket file left by a crashed launch is stale (Unix only).
        QLocalServer.removeServer(self.name)
        if not server.listen(self.name):
            # Without the guard the app still works; a second launch just opens a second window.
            log.warning("single-instance guard off: cannot listen on %s (%s)", self.name,
                        server.errorString())
            return True
        server.newConnection.connect(self._on_new_connection)
        self._server = server
        return True

    def _on_new_connection(self) -> None:
        # Read at once instead of wiring readyRead: the sender writes one line right after
        # connecting, and keeping no Python closure over a socket Qt deletes avoids a crash at
        # teardown seen with such closures.
        while self._server is not None and self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            if not socket.bytesAvailable():
                socket.waitForReadyRead(READ_TIMEOUT_MS)
            data = bytes(socket.readAll().data())
            socket.disconnectFromServer()
            socket.deleteLater()
            if ACTIVATE.strip() in data:
                log.info("another launch asked for the window")
                self.activate_requested.emit()

    def close(self) -> None:
        """Stop listening (the socket file is removed)."""
        if self._server is not None:
            self._server.close()
            self._server = None
