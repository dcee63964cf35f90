"""The user's launch choices (preset, attention, extra flags, port, listen address) and how they
are read from and saved to the `launcher.*` settings.

The launch setup (`core.server.setup`) holds one `LaunchChoices`; the GUI changes it through
`LaunchSetup.choose`, the CLI overrides it from its options without saving.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from wan22_gui.core.server.command import DEFAULT_PORT
from wan22_gui.core.server.ports import LOOPBACK

AUTO = "auto"


class SettingsStore(Protocol):
    """What the launch setup needs of `core.base.settings.Settings`."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any, *, save: bool = True) -> None: ...


@dataclass(frozen=True)
class LaunchChoices:
    """What the user chose. `preset` is a name or "auto" (the recommended one for the GPU);
    `attention` "" means the preset's own; `extra_args` is the text as typed."""

    preset: str = AUTO
    attention: str = ""
    extra_args: str = ""
    port: int = DEFAULT_PORT
    listen: str = LOOPBACK

    @classmethod
    def from_settings(cls, settings: SettingsStore) -> LaunchChoices:
        return cls(preset=settings.get("launcher.preset", AUTO) or AUTO,
                   attention=settings.get("launcher.attention", "") or "",
                   extra_args=settings.get("launcher.extra_args", "") or "",
                   port=int(settings.get("launcher.port", DEFAULT_PORT) or DEFAULT_PORT),
                   listen=settings.get("launcher.listen", LOOPBACK) or LOOPBACK)

    def save(self, settings: SettingsStore) -> None:
        """Write all five `launcher.*` keys, saving the file once."""
        settings.set("launcher.preset", self.preset, save=False)
        settings.set("launcher.attention", self.attention, save=False)
        settings.set("launcher.extra_args", self.extra_args, save=False)
        settings.set("launcher.listen", self.listen, save=False)
        settings.set("launcher.port", self.port)

    def updated(self, *, preset: str | None = None, attention: str | None = None,
                extra_args: str | None = None, port: int | None = None,
                listen: str | None = None) -> LaunchChoices:
        """A copy with the given fields changed (None keeps a field)."""
        return LaunchChoices(
            preset=self.preset if preset is None else preset,
            attention=self.attention if attention is None else attention,
            extra_args=self.extra_args if extra_args is None else extra_args,
            port=self.port if port is None else int(port),
            listen=self.listen if listen is None else listen)
