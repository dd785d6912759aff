"""Option defaults from a TOML file (``--config FILE`` or ``$NEWSDEDUP_CONFIG``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def load_config(ctx: typer.Context, path: Path | None) -> Path | None:
    """Option defaults from a TOML file: top-level keys apply to every command that has the
    option, ``[timeline]``-style tables to that command only. Options given on the command line
    win. Unknown keys are an error naming the file."""
    if path is None or ctx.resilient_parsing:
        return path
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise typer.BadParameter(f"{path}: {exc.strerror}", ctx=ctx) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"{path}: not valid TOML: {exc}", ctx=ctx) from exc
    names = option_names(ctx.command)
    every = {n for cmd in all_commands() for n in option_names(cmd)}  # keys some command knows
    defaults: dict[str, Any] = {}
    section = data.get(ctx.info_name or "", {})
    for scope, table in (("", data), (f"[{ctx.info_name}] ", section)):
        for key, value in table.items():
            if isinstance(value, dict):
                if scope or key not in {c.name for c in all_commands()}:
                    raise typer.BadParameter(f"{path}: unknown table [{key}]", ctx=ctx)
                continue
            opt = key.replace("_", "-")
            if opt not in every or (scope and opt not in names):
                raise typer.BadParameter(f"{path}: {scope}unknown key {key!r}", ctx=ctx)
            if opt in names:
                defaults[names[opt]] = value
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    return path


def option_names(command: Any) -> dict[str, str]:
    """long option name (no dashes) → parameter name, for a click command."""
    out: dict[str, str] = {}
    for param in getattr(command, "params", []):
        for opt in [*param.opts, *getattr(param, "secondary_opts", [])]:
            if opt.startswith("--") and param.name not in ("config", "help"):
                out[opt[2:]] = param.name
    return out


def all_commands() -> list[Any]:
    from typer.main import get_command

    from .app import app

    group = get_command(app)
    return list(getattr(group, "commands", {}).values())
