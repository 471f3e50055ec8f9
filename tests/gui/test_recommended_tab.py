"""The Models window's Recommended tab, and the guidance the window gives a new user.

Real widgets offscreen, the real loopback hub (tests/hub_server.py) standing in for an
internal mirror, the real download queue. Screenshots go to tests/screenshots.py's folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gguf_arch_factory import write_tiny_arch
from gui_helpers import WindowFactory, fast_settings
from hub_server import HubServer, socket_guard
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot
from screenshots import shots_dir

from parrotchat.core.models.catalog import load_catalog

SHOTS = shots_dir()
EXAONE_REPO = "LGAI-EXAONE/EXAONE-3.5-2.4B-Instruct-GGUF"
EXAONE_FILE = "EXAONE-3.5-2.4B-Instruct-Q4_K_M.gguf"


def _shot(widget: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / name))  # type: ignore[attr-defined]


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[HubServer]:
    """A mirror that holds one catalog model (a tiny EXAONE under the real file name)."""
    tiny = write_tiny_arch(tmp_path / "tiny-exaone.gguf", "exaone")
    with HubServer() as server:
        repo = server.add_repo(EXAONE_REPO, gguf={"total": 2_400_000_000, "architecture": "exaone"})
        repo.add(EXAONE_FILE, tiny)
        yield server


def test_recommended_is_the_first_tab_and_says_where_better_models_are(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    session = make_window()
    with socket_guard() as attempts:
        dialog = session.window.open_models()
    assert attempts == [], "showing the catalog makes no network call"
    tab = dialog.recommended
    assert dialog.tabs.tabText(0) == "Recommended" and dialog.tabs.currentWidget() is tab
    assert tab.table.rowCount() == len(load_catalog(None).entries)
    assert "starter" in tab.intro.text(), "only the starter model: the tab says why to look"
    tab.table.selectRow(0)
    assert "Licence:" in tab.details.text() and tab.download_button.isEnabled()
    _shot(dialog, "recommended_tab.png")

    tab.korean.setChecked(True)
    assert tab.shown and all("ko" in e.languages for e in tab.shown)
    assert not any(e.family == "Llama" for e in tab.shown)
    tab.commercial.setChecked(True)
    assert tab.shown and all(e.license.commercial != "no" for e in tab.shown)
    assert not any(e.family == "EXAONE" for e in tab.shown)
    tab.fitting.setChecked(True)
    assert all(tab.fits[e.id].fit.value == "fits" for e in tab.shown)
    assert tab.table.rowCount() == len(tab.shown)


def test_one_click_downloads_a_catalog_model_through_the_mirror(
    make_window: WindowFactory, qtbot: QtBot, mirror: HubServer
) -> None:
    settings = fast_settings()
    settings.hub_endpoint = mirror.url
    session = make_window(settings=settings)
    dialog = session.window.open_models()
    tab = dialog.recommended
    tab.select("exaone-3.5-2.4b-instruct")
    tab.download_button.click()
    qtbot.waitUntil(lambda: "Download tab" in tab.status.text(), timeout=20_000)
    downloaded = session.paths.models_dir / EXAONE_FILE
    qtbot.waitUntil(
        lambda: any(m.path == downloaded for m in session.models.models), timeout=60_000
    )
    model = next(m for m in session.models.models if m.path == downloaded)
    assert model.architecture == "exaone"
    # The same queue as the Download tab: its row says the file is in the library.
    rows = dialog.download.downloads
    assert rows.rowCount() == 1 and "library" in rows.item(0, 2).text()


def test_a_repository_the_mirror_lacks_is_one_plain_line(
    make_window: WindowFactory, qtbot: QtBot, mirror: HubServer
) -> None:
    settings = fast_settings()
    settings.hub_endpoint = mirror.url
    session = make_window(settings=settings)
    tab = session.window.open_models().recommended
    tab.select("qwen2.5-1.5b-instruct")
    tab.download_button.click()
    qtbot.waitUntil(lambda: bool(tab.status.text()) and "Looking" not in tab.status.text())
    assert "lmstudio-community/Qwen2.5-1.5B-Instruct-GGUF: not found" in tab.status.text()
    assert tab.download_button.isEnabled(), "it can be tried again"


def test_offline_the_catalog_shows_and_download_is_off(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    settings = fast_settings()
    settings.offline = True
    session = make_window(settings=settings)
    tab = session.window.open_models().recommended
    tab.table.selectRow(0)
    assert tab.table.rowCount() > 0 and not tab.download_button.isEnabled()


def test_the_download_tab_guides_and_its_controls_wait_for_a_download(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    settings = fast_settings()
    settings.hub_endpoint = "http://127.0.0.1:9"  # nothing listens: refused at once
    session = make_window(settings=settings)
    dialog = session.window.open_models()
    tab = dialog.download
    dialog.tabs.setCurrentWidget(tab)
    assert tab.browse_hint.isVisible() and tab.downloads_hint.isVisible()
    for button in (tab.pause_button, tab.resume_button, tab.cancel_button):
        assert not button.isEnabled(), button.text()
    _shot(dialog, "download_tab_empty.png")
    tab.query.setText("qwen")
    tab.search()
    qtbot.waitUntil(lambda: "Cannot reach the model hub" in tab.status.text(), timeout=20_000)
    assert "Errno" not in tab.status.text() and "127.0.0.1:9" in tab.status.text()


class _UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_with_no_model_the_window_offers_import_download_and_the_folder(
    make_window: WindowFactory,
    qtbot: QtBot,
    tmp_path: Path,
    tiny_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The one-folder build without a bundled model: no starter anywhere.
    monkeypatch.setenv("PARROTCHAT_STARTER_MODEL", str(tmp_path / "no-such-starter.gguf"))
    session = make_window(data_dir=tmp_path / "app", wait_model=False)
    banner = session.window.no_model
    qtbot.waitUntil(banner.isVisible, timeout=10_000)
    assert str(session.paths.models_dir) in banner.folder.text().replace("\u200b", "")
    assert "pip" not in banner.text.text()
    _shot(session.window, "no_model_banner.png")

    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        banner.folder_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [u.toLocalFile() for u in catcher.urls] == [str(session.paths.models_dir)]

    banner.download_button.click()
    dialog = session.window.models_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.tabs.currentWidget() is dialog.recommended
    dialog.close()

    banner.pick_file = lambda: str(tiny_model)
    dialog.library.ask_copy = lambda path: True
    banner.import_button.click()
    qtbot.waitUntil(
        lambda: (
            session.models.current is not None
            and session.models.current.path.name == tiny_model.name
        ),
        timeout=30_000,
    )
    assert not banner.isVisible()


def test_the_starter_says_it_is_too_small_to_translate_and_points_to_better_models(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    session = make_window()
    window = session.window
    assert session.models.current is not None
    assert (session.models.current.parameter_count or 0) < 500_000_000  # the 135M starter
    window.composer.set_text("Good morning, team.")
    window.template_bar.translate_button.click()
    note = window.small_model_note
    assert note.isVisible()
    assert "(135M parameters) is too small to translate" in note.text()
    _shot(window, "starter_too_small_note.png")
    note.linkActivated.emit("parrotchat:recommended")
    dialog = window.models_dialog
    assert dialog is not None and dialog.tabs.currentWidget() is dialog.recommended


def test_the_recommended_tab_in_korean(
    make_window: WindowFactory, qtbot: QtBot, qapp: object
) -> None:
    from PySide6.QtCore import QCoreApplication, QLocale

    from parrotchat.gui.i18n import install_translators

    translators = install_translators(qapp, "ko")  # type: ignore[arg-type]
    try:
        session = make_window()
        dialog = session.window.open_models()
        tab = dialog.recommended
        assert dialog.tabs.tabText(0) == "추천"
        assert tab.korean.text() == "한국어" and "기본 모델" in tab.intro.text()
        first = tab.shown[0]
        assert tab.table.item(0, 0).text().endswith(first.good_at["ko"])
        tab.table.selectRow(0)
        assert "라이선스:" in tab.details.text()
        _shot(dialog, "korean_recommended_tab.png")
    finally:
        for translator in translators:
            QCoreApplication.removeTranslator(translator)
        QLocale.setDefault(QLocale(QLocale.Language.English))


def test_an_admins_own_entries_show_and_a_bad_one_is_named(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    import json

    own = tmp_path / "app" / "config" / "catalog.json"
    own.parent.mkdir(parents=True)
    good = {
        "id": "corp-model",
        "name": "Corp Model 1B",
        "repo": "corp/model-GGUF",
        "architecture": "llama",
        "parameters_b": 1.0,
        "languages": ["ko"],
        "good_at": "Approved for internal use",
        "license": {
            "name": "Internal",
            "url": "https://intra.example/licence",
            "commercial": "yes",
            "summary": "Approved",
        },
        "files": [{"quant": "Q4_K_M", "file": "model-Q4_K_M.gguf", "size_gb": 0.7}],
    }
    own.write_text(json.dumps({"models": [good, {**good, "id": "bad", "files": []}]}))
    session = make_window(data_dir=tmp_path / "app")
    tab = session.window.open_models().recommended
    assert any(e.id == "corp-model" for e in tab.shown)
    assert tab.problems.isVisible()
    assert f"{own}: entry 2 ('bad'): 'files' must be a non-empty list" in tab.problems.text()
