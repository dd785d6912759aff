"""Help: options in panels (input, stories, output, state), no type shown for flags and paths,
examples in the epilog."""

from __future__ import annotations

from typing import Any

import typer


class HelpGroup(typer.core.TyperGroup):
    """The command groups' help: no ``<bool>`` shown for a flag."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            if getattr(param, "is_flag", False):
                param.metavar = ""
        return params


# help: options in panels, no type shown for flags and paths, examples in the epilog

_PANELS = {
    "Input": ("files_from", "null", "glob", "file_type", "follow", "max_bytes",
              "dayfirst", "use_mtime", "source_from_path", "field", "jobs", "scheduler", "config"),
    "Stories": ("level", "threshold", "window", "num_perm", "seed", "shingle_size",
                "fail_on_duplicates"),
    "Output": ("fmt", "output", "brief", "full", "dups_only", "since", "until", "color",
               "no_color", "no_pager", "quiet", "verbose", "stats"),
    "State": ("state", "index", "index_prefix", "wait", "rebuild_state", "new_only"),
}  # fmt: skip
_PANEL_OF = {name: panel for panel, names in _PANELS.items() for name in names}
_METAVARS = {"since": "DATE", "until": "DATE", "as_of": "DATE", "older_than": "AGE",
             "max_bytes": "N", "jobs": "N", "wait": "SECONDS", "index_prefix": "P",
             "seed": "N", "window": "DAYS", "num_perm": "N", "shingle_size": "N",
             "threshold": "X", "level": "LEVEL"}  # fmt: skip


class HelpCommand(typer.core.TyperCommand):
    """A command whose help groups options into panels and shows a type only where it tells
    something (not ``<bool>`` for a flag, nor ``<list[str]>`` for the paths)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            _tidy(param)
        order = list(_PANELS)  # panels in this order; a panel's options as declared
        self.params.sort(key=lambda p: order.index(_PANEL_OF.get(p.name or "", "Input")))

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            if param.name == "help":
                _tidy(param)
                _panel(param, "Output")
        return params

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The help, with an option's second spelling (``--monthfirst``) said in its text
        rather than in a column of its own: that column took a dozen characters from every
        option's text (squeezed to 20 characters on 80 columns); and an option's bounds said
        in its text, not as ``[0.01<=x<=1.0]`` in the metavar column."""
        options: list[Any] = [p for p in self.params if hasattr(p, "secondary_opts")]
        saved = [(p, p.secondary_opts, p.help) for p in options]
        for param, _, text in saved:
            param.secondary_opts = []
            bounds = _bounds(param)
            if bounds:
                param.help = f"{text} ({bounds})"
                vars(param)["_get_number_range_help_str"] = _no_type
        try:
            super().format_help(ctx, formatter)
        finally:
            for param, opts, text in saved:
                param.secondary_opts, param.help = opts, text
                vars(param).pop("_get_number_range_help_str", None)


def _panel(param: Any, panel: str) -> None:
    """Show ``param`` in help panel ``panel`` (typer reads the attribute off any parameter)."""
    param.rich_help_panel = panel


def _no_type(*args: Any, **kwargs: Any) -> None:
    return None


def _bounds(param: Any) -> str:
    """An option's numeric bounds in words (``0.01 to 1.0``, ``1 or more``), or nothing."""
    lo, hi = getattr(param, "min", None), getattr(param, "max", None)
    if lo is not None and hi is not None:
        return f"{lo} to {hi}"
    if lo is not None:
        return f"{lo} or more"
    return f"at most {hi}" if hi is not None else ""


def _tidy(param: Any) -> None:
    """A parameter's metavar and panel: none for a flag, PATH for the paths, a word for the rest."""
    name = param.name or ""
    if isinstance(param, typer.core.TyperArgument):
        vars(param)["display_type_rich"] = _no_type  # no "<list[str]>" shown for the paths
        param.metavar = "PATH"
    elif getattr(param, "is_flag", False):
        param.metavar = ""
    elif name in _METAVARS and param.metavar is None:
        param.metavar = _METAVARS[name]
    if name in _PANEL_OF:
        _panel(param, _PANEL_OF[name])


def examples(*lines: str) -> str:
    """A command's epilog: example command lines."""
    return "Examples:\n\n" + "\n".join(f"  {line}" for line in lines)
