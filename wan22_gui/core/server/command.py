"""The exact command, environment and folder a launch uses (shared by the launcher, the script
export and the environment snapshot, so all three say the same thing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from wan22_gui.core.presets import Preset
from wan22_gui.core.server.install import ComfyInstall
from wan22_gui.core.server.ports import LOOPBACK, connect_host

DEFAULT_PORT = 8188


@dataclass(frozen=True)
class LaunchPlan:
    """Everything needed to start ComfyUI once.

    Attributes:
        install: where ComfyUI and its Python are.
        preset: the preset the flags came from.
        attention: "sdpa", "sage" or "flash".
        flags: ComfyUI's flags as passed (what /system_stats reports back as argv[1:]).
        env: variables set on top of the app's environment.
        port / listen: where it serves.
        extra_args: the user's own flags (part of `flags`, kept to show them apart).
        dropped: (flag, why) for each preset flag left out for this install's ComfyUI
            version (unknown there, or a no-op).
    """

    install: ComfyInstall
    preset: Preset
    attention: str
    flags: list[str]
    env: dict[str, str]
    port: int
    listen: str = LOOPBACK
    extra_args: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def argv(self) -> list[str]:
        return [*self.install.command(), *self.flags]

    @property
    def cwd(self) -> Path:
        return self.install.cwd

    @property
    def url(self) -> str:
        return f"http://{connect_host(self.listen)}:{self.port}"

    def with_port(self, port: int) -> "LaunchPlan":
        return build_plan(self.install, self.preset, port=port, listen=self.listen,
                          attention=self.attention, extra_args=self.extra_args,
                          extra_env=_extra_env(self))


def build_plan(install: ComfyInstall, preset: Preset, *, port: int = DEFAULT_PORT,
               listen: str = LOOPBACK, attention: str | None = None,
               extra_args: Sequence[str] = (), extra_env: Mapping[str, str] | None = None
               ) -> LaunchPlan:
    """Combine the install's own flags, the preset's, the attention choice and the user's."""
    attention = attention or preset.attention
    flags = [*install.fixed_args, *preset.argv(attention, install.version), *extra_args,
             "--listen", listen, "--port", str(port)]
    env = {**preset.env_values(), **dict(extra_env or {})}
    dropped = [(spec.flag, why) for spec, why in preset.flags_for(install.version)[1]]
    return LaunchPlan(install, preset, attention, flags, env, port, listen, list(extra_args),
                      dropped)


def _extra_env(plan: LaunchPlan) -> dict[str, str]:
    preset_env = plan.preset.env_values()
    return {k: v for k, v in plan.env.items() if preset_env.get(k) != v}
