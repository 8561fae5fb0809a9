"""Compile the message catalogues: every locale/<lang>/LC_MESSAGES/*.po beside its .mo.

Django's own `compilemessages` needs GNU gettext's `msgfmt`, which a clean machine may lack; polib (a
pinned, pure-Python dependency) writes the same .mo files. Fuzzy and untranslated entries are left
out, as msgfmt leaves them out (the English msgid is shown instead). Run by scripts/bootstrap; the .mo
files are build output (git-ignored).

    .venv/bin/python scripts/compilemessages.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def compile_all(locale: Path = LOCALE) -> list[Path]:
    written = []
    for source in sorted(locale.glob("*/LC_MESSAGES/*.po")):
        target = source.with_suffix(".mo")
        polib.pofile(str(source)).save_as_mofile(str(target))
        written.append(target)
    return written


if __name__ == "__main__":
    done = compile_all()
    print(f"compiled {len(done)} catalogue(s): {', '.join(str(p.relative_to(LOCALE)) for p in done)}")
    sys.exit(0 if done else 1)
