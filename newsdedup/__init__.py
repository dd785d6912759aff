"""newsdedup: find the same news story across outlets and print a merged, annotated timeline.

The library API (no command line needed)::

    from newsdedup import Settings, load
    corpus = load(["articles/"], Settings())
    for art in corpus.articles:
        print(art.path, art.date.value, art.outlet.value)
"""

from .errors import InputError, NewsdedupError, NoInputError, UsageError
from .model import Article, Document, Field, Removed, Skipped
from .pipeline import Corpus, load
from .render import SCHEMA_VERSION
from .settings import Settings

__version__ = "0.1.0"

__all__ = [
    "SCHEMA_VERSION",
    "Article",
    "Corpus",
    "Document",
    "Field",
    "InputError",
    "NewsdedupError",
    "NoInputError",
    "Removed",
    "Settings",
    "Skipped",
    "UsageError",
    "__version__",
    "load",
]
