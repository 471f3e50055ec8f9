"""View → Theme: light, dark or the system's, remembered; bands stay readable in both.

The contrast is measured on the pixels the window paints (WCAG's ratio between a
band's background and its text), not on the colours the code meant to use.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest
from gui_helpers import WindowFactory, fast_settings, fill_chat
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from screenshots import save_shot

from parrotchat.core.settings import load_settings
from parrotchat.gui.chat.code_block import CodeBlock
from parrotchat.gui.i18n import install_translators
from parrotchat.gui.main import WindowSession
from parrotchat.gui.theme import apply_theme, is_dark

READABLE = 4.5  # WCAG AA for normal text


@pytest.fixture(autouse=True)
def _back_to_system(qapp: QApplication) -> Iterator[None]:
    yield
    apply_theme(qapp, "system")  # the next test gets the platform's palette again


def _luminance(color: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.red())
        + 0.7152 * channel(color.green())
        + 0.0722 * channel(color.blue())
    )


def _ratio(a: QColor, b: QColor) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _painted_contrast(band: QWidget, part: QWidget) -> float:
    """Contrast between the commonest colour under `part` (the band's background there)
    and the colour furthest from it (the text's strokes), as painted."""
    image = band.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    ratio = band.devicePixelRatioF()
    area = part.geometry() if part.parentWidget() is band else part.rect()
    if part.parentWidget() is not band:
        area.moveTopLeft(part.mapTo(band, area.topLeft()))
    colors: Counter[int] = Counter()
    for y in range(int(area.top() * ratio), int(area.bottom() * ratio)):
        for x in range(int(area.left() * ratio), int(area.right() * ratio)):
            colors[image.pixel(x, y)] += 1
    assert len(colors) > 2, f"nothing is drawn under {part.objectName() or part}"
    background = QColor(colors.most_common(1)[0][0])
    return max(_ratio(background, QColor(rgb)) for rgb in colors)


def _choose(session: WindowSession, theme: str) -> None:
    action = next(a for a in session.window.actions_.theme_actions if a.data() == theme)
    action.trigger()  # what View → Theme → <theme> does


def _window_with_banner_and_code(
    make_window: WindowFactory, qtbot: QtBot, ui_lang: str = "en"
) -> WindowSession:
    settings = fast_settings()
    settings.offline = True
    # With the model loaded: a load that finishes later takes an error band down.
    session = make_window(settings=settings, ui_lang=ui_lang)
    session.window.resize(1180, 760)
    session.chats.open_chat(fill_chat(session.store, 2, "Theme check"))
    session.window.banner.show_error(
        QCoreApplication.translate("ChatController", "The reply failed"),
        "The engine process exited with code 3.",  # as the engine says it
        can_retry=True,
    )
    qtbot.waitUntil(session.window.banner.isVisible)
    return session


def test_dark_and_light_themes_from_the_view_menu(
    make_window: WindowFactory, qtbot: QtBot, qapp: QApplication
) -> None:
    session = _window_with_banner_and_code(make_window, qtbot)
    window = session.window
    dialog = window.open_models()
    dialog.show_tab("download")
    offline = dialog.download.offline_label
    qtbot.waitUntil(offline.isVisible)
    assert session.chats.chat_id is not None
    session.chats.set_pinned(session.chats.chat_id, True)
    qtbot.waitUntil(lambda: window.chat_list.list.count() == 1)
    pins: dict[str, QImage] = {}
    menu_titles = [a.text() for a in window.actions_.theme_menu.actions()]
    assert menu_titles == ["System", "Light", "Dark"]

    for theme in ("dark", "light"):
        _choose(session, theme)
        qtbot.wait(50)
        assert is_dark(QGuiApplication.palette()) == (theme == "dark")
        assert is_dark(window.palette()) == (theme == "dark")
        saved, _ = load_settings(session.paths.settings_file)
        assert saved.theme == theme, "the choice is written to the settings file at once"

        banner = window.banner
        assert banner.isVisible()
        for label in (banner.title_label, banner.detail_label):
            assert _painted_contrast(banner, label) >= READABLE, (theme, label.text())
        assert _painted_contrast(offline, offline) >= READABLE, (theme, offline.text())

        code = window.chat_view.message_widgets[-1].findChildren(CodeBlock)[0]
        view_base = code.palette().color(QPalette.ColorRole.Base)
        assert is_dark(code.palette()) == (theme == "dark")
        assert (view_base.lightness() < 128) == (theme == "dark")
        assert _painted_contrast(code, code.view) >= READABLE, theme  # code recoloured too

        pins[theme] = window.chat_list.list.item(0).icon().pixmap(16, 16).toImage()
        save_shot(window, f"theme_{theme}_main_window_en.png")
        save_shot(dialog, f"theme_{theme}_offline_notice_en.png")

    assert pins["dark"] != pins["light"], "the pinned chat's icon follows the theme"

    _choose(session, "system")
    assert session.settings.theme == "system"
    assert json.loads(session.paths.settings_file.read_text())["theme"] == "system"
    assert not is_dark(QGuiApplication.palette())  # the offscreen platform's own: light


def test_theme_is_remembered_by_the_next_window(
    make_window: WindowFactory, qtbot: QtBot, qapp: QApplication
) -> None:
    session = make_window(wait_model=False)
    _choose(session, "dark")
    saved, _ = load_settings(session.paths.settings_file)
    apply_theme(qapp, "system")
    apply_theme(qapp, saved.theme)  # what the next start does with the saved choice
    assert is_dark(QGuiApplication.palette())
    again = make_window(settings=saved, wait_model=False)
    checked = [a.data() for a in again.window.actions_.theme_actions if a.isChecked()]
    assert checked == ["dark"]


def test_dark_theme_in_korean(make_window: WindowFactory, qtbot: QtBot, qapp: QApplication) -> None:
    translators = install_translators(qapp, "ko")
    try:
        session = _window_with_banner_and_code(make_window, qtbot, "ko")
        window = session.window
        assert window.actions_.theme_menu.title() == "테마"
        assert [a.text() for a in window.actions_.theme_actions] == [
            "시스템 설정",
            "밝게",
            "어둡게",
        ]
        _choose(session, "dark")
        qtbot.wait(100)  # the palette change reaches every widget through the event loop
        assert is_dark(window.chat_view.palette())
        banner = window.banner
        assert banner.isVisible()
        assert _painted_contrast(banner, banner.detail_label) >= READABLE
        save_shot(window, "theme_dark_main_window_ko.png")
        dialog = window.open_models()
        dialog.show_tab("download")
        offline = dialog.download.offline_label
        qtbot.waitUntil(offline.isVisible)
        assert _painted_contrast(offline, offline) >= READABLE
        save_shot(dialog, "theme_dark_offline_notice_ko.png")
    finally:
        for translator in translators:
            QCoreApplication.removeTranslator(translator)
