"""What the user says about one backend: a ComfyUI the app launches on a local GPU, or one it attaches to.

A spec is plain data persisted in settings; the live state of a backend (health, capabilities,
GPU, the job it runs) lives elsewhere. A spec never holds a secret: `token_ref` names the entry in
the OS keyring (see `secrets.py`) so a token is never written to settings, logs or reports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

BackendKind = Literal["local", "remote"]


@dataclass(frozen=True)
class BackendSpec:
    """One backend as the user added it."""

    name: str
    kind: BackendKind
    url: str | None = None  # remote: the base URL the user typed; local: filled from port
    cuda_device: int | None = None  # local: the GPU index passed as --cuda-device
    preset: str | None = None  # local: the launch preset for that GPU (None = auto-detect)
    port: int | None = None  # local: the port this ComfyUI listens on
    token_ref: str | None = None  # name of the keyring entry holding an auth token, if any
    auth_header: str = "Authorization"  # header the token goes in (a reverse proxy's choice)
    pins: tuple[str, ...] = field(default_factory=tuple)  # user tags a job may require ("5090")
    paused: bool = False

    @property
    def base_url(self) -> str:
        """The URL the app talks to: the remote URL, or localhost on the launched port."""
        if self.url:
            return self.url.rstrip("/")
        if self.port is None:
            raise ValueError(f"backend {self.name!r} has neither a URL nor a port")
        return f"http://127.0.0.1:{self.port}"

    def to_json(self) -> dict[str, Any]:
        """A settings-ready dict (tuples become lists)."""
        data = asdict(self)
        data["pins"] = list(self.pins)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BackendSpec:
        """Read a spec back, ignoring keys a newer version may have added."""
        known = {f for f in cls.__dataclass_fields__}
        kept = {k: v for k, v in data.items() if k in known}
        kept["pins"] = tuple(kept.get("pins") or ())
        if kept.get("kind") not in ("local", "remote"):
            raise ValueError(f"backend {kept.get('name')!r}: kind must be local or remote")
        return cls(**kept)
