"""Without a Chromium the browser tier fails, naming the package that fixes it (it never skips)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import support

pytestmark = pytest.mark.browser


def test_a_missing_chromium_fails_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr(support, "DEBIAN_CHROMIUM", tmp_path / "no-chromium-here")

    with pytest.raises(support.ChromiumMissing, match=r"apt-get install -y chromium"):
        support.chromium_path()


def test_the_chromium_on_the_path_is_the_one_driven(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: f"/opt/bin/{name}")

    assert support.chromium_path() == "/opt/bin/chromium"
