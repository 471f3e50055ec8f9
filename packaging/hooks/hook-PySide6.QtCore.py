# Our hook for PySide6.QtCore replaces PyInstaller's: the same collection, trimmed (qt_trim.py).
from PyInstaller.utils.hooks.qt import add_qt6_dependencies
from qt_trim import trim

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = trim(binaries)
datas = trim(datas)
