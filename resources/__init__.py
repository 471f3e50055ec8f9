"""Data files shipped with ParrotChat (templates, icons, translations)."""
