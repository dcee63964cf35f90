"""Where the app keeps its files: settings, data (history), cache (thumbnails), logs, outputs.

`WAN22_HOME` puts everything under one folder (tests, portable installs); otherwise the
platform's usual places are used (platformdirs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from wan22_gui.core.base.errors import StorageError, storage_reason

APP_DIR_NAME = "Wan22Studio"
HOME_ENV = "WAN22_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The app's folders. Call `ensure()` before writing into them."""

    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path
    output_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def history_db(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "wan22.log"

    @property
    def thumbnail_dir(self) -> Path:
        return self.cache_dir / "thumbnails"

    def ensure(self) -> "AppPaths":
        """Create the folders. Raises StorageError naming the one that cannot be made."""
        for folder in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir, self.output_dir):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(
                    f"The app cannot create its folder {folder}: {storage_reason(exc)}.",
                    f"Free some space or fix the folder's permissions, or set {HOME_ENV} to "
                    "a folder you can write to.") from None
        return self

    @classmethod
    def under(cls, root: Path) -> "AppPaths":
        """All folders below one root (used for WAN22_HOME and by tests)."""
        root = Path(root)
        return cls(root / "config", root / "data", root / "cache", root / "logs", root / "outputs")

    @classmethod
    def default(cls) -> "AppPaths":
        home = os.environ.get(HOME_ENV)
        if home:
            return cls.under(Path(home))
        dirs = platformdirs.PlatformDirs(APP_DIR_NAME, appauthor=False)
        videos = Path(platformdirs.user_videos_dir())
        return cls(
            config_dir=Path(dirs.user_config_dir),
            data_dir=Path(dirs.user_data_dir),
            cache_dir=Path(dirs.user_cache_dir),
            log_dir=Path(dirs.user_log_dir),
            output_dir=videos / APP_DIR_NAME,
        )
