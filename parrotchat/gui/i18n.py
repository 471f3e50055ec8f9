"""Which language the window speaks, and loading its translations.

The UI follows the system locale unless the settings name a language
(`ui_language`, e.g. "ko" or "en"). Our strings come from
`resources/translations/parrotchat_<lang>.qm`; Qt's own (standard buttons and
dialogs) from the translations that ship with Qt.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from parrotchat.gui.app_resources import resource_dir

# (code, name in its own language); the View menu offers these.
UI_LANGUAGES: list[tuple[str, str]] = [("en", "English"), ("ko", "한국어")]


def ui_locale(setting: str | None) -> str:
    """The locale the window runs in: the setting ("ko") if given, else the system's
    full locale name ("ko_KR"), which Qt's translators and number formats want.

    Not `core.languages.ui_language`, which reduces either to a bare code ("ko").
    """
    if setting:
        return setting
    return QLocale.system().name()  # "ko_KR", "en_US", ...


def install_translators(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Install ParrotChat's and Qt's translators for `language`; returns those that loaded.

    Keep the returned list alive as long as the application: a translator that is
    garbage-collected stops translating.
    """
    locale = QLocale(language)
    QLocale.setDefault(locale)
    installed: list[QTranslator] = []
    ours = QTranslator(app)
    if ours.load(locale, "parrotchat", "_", str(resource_dir("translations"))):
        app.installTranslator(ours)
        installed.append(ours)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    qt = QTranslator(app)
    if qt.load(locale, "qtbase", "_", qt_dir):
        app.installTranslator(qt)
        installed.append(qt)
    return installed
