"""The progress bar on stderr (rich, imported only once a bar is drawn) and the figures per
stage that ``--stats`` prints."""

from __future__ import annotations

import os
import sys
from typing import Any


def progress_wanted(quiet: bool) -> bool:
    """A bar only on a terminal, not with -q, not with TERM=dumb."""
    return not quiet and os.environ.get("TERM") != "dumb" and sys.stderr.isatty()


class Bar:
    """A progress bar on stderr, drawn only on a terminal and only once a run has taken long
    enough to need one; a no-op otherwise. Called as ``bar(stage, done, total)``."""

    DELAY = 0.7  # seconds before a bar appears: a shorter run would only flash one

    def __init__(self, enabled: bool) -> None:
        import time

        self.enabled, self._clock = enabled, time.monotonic
        self._start = self._clock()
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}

        self.stages: dict[str, list[float]] = {}  # stage → [seconds, items] (for --stats)
        self._current = "discover"
        self._mark = self._start

    def enter(self, stage: str, items: int | None = None) -> None:
        """A new stage begins (the previous one ends); ``items`` counts what it handles."""
        now = self._clock()
        row = self.stages.setdefault(self._current, [0.0, 0])
        row[0] += now - self._mark
        self._current, self._mark = stage, now
        row = self.stages.setdefault(stage, [0.0, 0])
        if items is not None:
            row[1] = max(row[1], items)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._current:
            self.enter(stage)
        row = self.stages.setdefault(stage, [0.0, 0])
        row[1] = max(row[1], total or done)
        if not self.enabled:
            return
        if self._progress is None:
            if self._clock() - self._start < self.DELAY:
                return
            self._begin()
        task = self._tasks.get(stage)
        if task is None:
            for other in self._tasks.values():  # one stage at a time: the others are done
                self._progress.update(other, visible=False)
            task = self._tasks[stage] = self._progress.add_task(stage, total=total or None)
            # a new stage is drawn at once, not at the next refresh: a short stage would
            # otherwise leave the last one's frozen count on the screen
            self._progress.update(task, completed=done, refresh=True)
            return
        self._progress.update(task, completed=done, total=total or None)

    def _begin(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task: Any) -> Text:
                return Text(f"{task.speed:,.0f}/s" if task.speed else "")

        console = Console(
            file=sys.stderr,
            no_color=bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb",
        )
        self._progress = Progress(
            TextColumn("newsdedup: {task.description:<7}"),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._progress.start()

    def close(self) -> None:
        """Take the bar off the screen (before results are written or paged)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._tasks = {}  # their ids were the stopped display's

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()  # also on an error or Ctrl-C: the terminal gets its cursor back

    def report(self) -> list[str]:
        """--stats: one line per stage, its items and seconds, then the total."""
        self.enter("end")
        lines = [f"{'stage':<9} {'items':>7} {'seconds':>9}"]
        for stage, (secs, items) in self.stages.items():
            if stage != "end":
                shown = f"{int(items):,}" if items else ""
                lines.append(f"{stage:<9} {shown:>7} {secs:>7.2f} s")
        lines.append(f"{'total':<9} {'':>7} {self._clock() - self._start:>7.2f} s")
        return lines
