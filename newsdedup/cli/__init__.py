"""The command line: options → :class:`newsdedup.Settings` → library call → printer. Nothing
else lives here.

* :mod:`.app` — the typer application and :func:`main` (errors, broken pipes, Ctrl-C);
* :mod:`.commands` — the commands, each a few lines;
* :mod:`.options` — every option declared once, the groups the commands share, and the one
  mapping from options to :class:`~newsdedup.Settings`;
* :mod:`.help` — help panels and examples; :mod:`.config` — option defaults from TOML;
* :mod:`.inputs` — input paths (``--files-from``, ``-``), dates and ages given as text;
* :mod:`.output` — stdout, the pager, the atomic ``-o`` writer, messages and the summary line;
* :mod:`.progress` — the progress bar and ``--stats``.

Importing it loads typer but none of the pipeline's heavy modules (numpy, datasketch,
trafilatura, jinja2, rich's progress): each command imports what it needs when it runs.
"""

from __future__ import annotations

from . import commands as _commands  # noqa: F401 - registers the commands on the app
from .app import app, main
from .options import settings_from

__all__ = ["app", "main", "settings_from"]
