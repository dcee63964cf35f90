"""Backend tokens: kept in a keyring (or read from WAN22_TOKEN_<REF> on a headless machine),
and never readable in a log line, an environment snapshot or a benchmark report."""

from __future__ import annotations

import json
import logging

import pytest

from wan22_gui.core.backends.secrets import NoKeyring, TokenStore, env_name
from wan22_gui.core.base.logsetup import setup_logging
from wan22_gui.core.base.redact import forget_secrets, redact, redact_data
from wan22_gui.core.bench.outputs import write_outputs
from wan22_gui.core.bench.results import ResultStore, RunRecord

TOKEN = "hf_9Qx2-secret-Zz81"


class MemoryKeyring:
    """keyring's three functions over a dict (what the OS keyring does, minus the OS)."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, name: str) -> str | None:
        return self.entries.get((service, name))

    def set_password(self, service: str, name: str, value: str) -> None:
        self.entries[(service, name)] = value

    def delete_password(self, service: str, name: str) -> None:
        del self.entries[(service, name)]  # keyring raises for a missing entry too


@pytest.fixture(autouse=True)
def _no_remembered_secrets():
    forget_secrets()
    yield
    forget_secrets()


def test_a_token_saved_in_the_keyring_is_read_back_and_deleted():
    ring = MemoryKeyring()
    store = TokenStore(ring, env={})
    store.set("h100", TOKEN)
    assert TokenStore(ring, env={}).get("h100") == TOKEN  # another store: it is the keyring's
    store.delete("h100")
    store.delete("h100")  # deleting what is gone is no error
    assert store.get("h100") is None


def test_without_a_keyring_the_token_comes_from_the_environment_and_saving_says_why_not():
    store = TokenStore(None, env={"WAN22_TOKEN_RENTED_H100": TOKEN})
    assert not store.has_keyring
    assert store.get("rented-h100") == TOKEN
    with pytest.raises(NoKeyring) as caught:
        store.set("lan-4090", "another-token")
    assert "WAN22_TOKEN_LAN_4090" in caught.value.user_text()
    assert "plain text" in caught.value.user_text()


def test_env_name_is_a_valid_variable_name_for_any_reference():
    assert env_name("friend's 4090") == "WAN22_TOKEN_FRIEND_S_4090"


@pytest.fixture
def own_log_handlers():
    """Set the wan22 logger's handlers aside and take back what the test added: a file handler
    left behind would be reused by every later setup_logging call, with its file elsewhere."""
    logger = logging.getLogger("wan22")
    before, level = list(logger.handlers), logger.level
    for handler in before:
        logger.removeHandler(handler)
    yield
    for added in list(logger.handlers):
        logger.removeHandler(added)
        added.close()
    for handler in before:
        logger.addHandler(handler)
    logger.setLevel(level)


def test_a_token_never_reaches_a_log_line(tmp_path, own_log_handlers):
    log_file = tmp_path / "logs" / "app.log"
    ring = setup_logging(log_file)
    token = TokenStore(MemoryKeyring(), env={"WAN22_TOKEN_H100": TOKEN}).get("h100")
    log = logging.getLogger("wan22.test.secrets")
    log.warning("proxy said: %s", f"bad request (token {token} expired)")
    log.warning("headers {'Authorization': 'Bearer never-seen-token-1'}")
    log.warning("GET https://gpu.example/ws?clientId=1&token=never-seen-token-2 failed")
    try:
        raise RuntimeError(f"handshake failed: Authorization: Bearer {token}")
    except RuntimeError:
        log.exception("websocket")
    for handler in logging.getLogger("wan22").handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8") + "\n".join(ring.lines())
    for secret in (TOKEN, "never-seen-token-1", "never-seen-token-2"):
        assert secret not in text
    assert "proxy said: bad request (token *** expired)" in text  # the words around stay
    assert "clientId=1&token=***" in text


def test_redaction_keeps_what_only_names_a_token():
    data = {"token_ref": "h100", "url": "https://x/?token=abcdef", "api_key": "k-12345",
            "nested": [{"Authorization": "Basic dXNlcjpwYXNz"}]}
    assert redact_data(data) == {"token_ref": "h100", "url": "https://x/?token=***",
                                 "api_key": "***", "nested": [{"Authorization": "***"}]}
    assert redact("tokenizer: umt5") == "tokenizer: umt5"


def test_env_snapshot_shows_that_a_token_is_set_but_never_its_value(tmp_path, monkeypatch,
                                                                    capsys):
    from tests.fakes.fake_comfyui_install import make_install
    from wan22_gui.cli.main import main

    monkeypatch.setenv("WAN22_TOKEN_H100", TOKEN)
    monkeypatch.setenv("PYTORCH_CUDA_ALLOC_CONF", f"expandable_segments:True,token={TOKEN}")
    root = make_install(tmp_path / "ComfyUI")
    assert main(["env-snapshot", "--comfyui", str(root)]) == 0
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err
    snapshot = json.loads(out.out)
    assert snapshot["environment"]["WAN22_TOKEN_H100"] == "***"


def _record(error: str, **extra) -> RunRecord:
    return RunRecord(run_key="c1:r0", cell_id="c1", config="base", settings={}, image="a.png",
                     width=832, height=480, frames=33, fps=16, repeat=0, warmup=False,
                     status="failed", started_at=1.0, finished_at=2.0, error=error, **extra)


def test_a_bench_report_never_shows_a_token(tmp_path):
    TokenStore(MemoryKeyring(), env={"WAN22_TOKEN_H100": TOKEN}).get("h100")
    ResultStore(tmp_path).append(_record(
        f"proxy answered 401: Authorization: Bearer {TOKEN} rejected",
        server_url=f"https://gpu.example:8443/?token={TOKEN}"))
    csv_path, report_path = write_outputs(tmp_path)
    for path in (csv_path, report_path, tmp_path / "results.jsonl"):
        assert TOKEN not in path.read_text(encoding="utf-8"), path.name
    assert "rejected" in report_path.read_text(encoding="utf-8")


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, name: str) -> str | None:
        raise RuntimeError("the collection is locked")

    def set_password(self, service: str, name: str, value: str) -> None:
        raise RuntimeError("the collection is locked")


def test_a_locked_keyring_falls_back_to_the_environment_and_saving_says_so():
    store = TokenStore(LockedKeyring(), env={"WAN22_TOKEN_H100": TOKEN})
    assert store.get("h100") == TOKEN
    with pytest.raises(NoKeyring, match="locked"):
        store.set("h100", "new-token-value")
