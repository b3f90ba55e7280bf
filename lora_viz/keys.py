"""One rule for cache keys: each cached result declares, next to its builder, the settings it depends on.

    @depends_on("d", "k", "r", "seed", reduce=to_example)
    def merge_animation(s: Settings) -> FigureSpec: ...

The key of `s` is `s` reduced (when the builder says how: the merge example uses min(d, 16) and min(r, 8)), with
every undeclared setting at its default. The builder is always called with that key, so it cannot read a setting
it did not declare, and a control it does not depend on never misses its cache. Every declaration is recorded in
BUILDERS, so one test can check them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, Callable, TypeVar

from .settings import SCHEMA, Settings

Result = TypeVar("Result")
Builder = Callable[[Settings], Result]


@dataclass(frozen=True)
class Depends:
    """The settings a result depends on, and how they are reduced first (if at all)."""

    keys: tuple[str, ...]
    reduce: Callable[[Settings], Settings] | None = None

    def key(self, s: Settings) -> Settings:
        """s reduced, with every setting outside `keys` at its default: the cache key."""
        reduced = self.reduce(s) if self.reduce else s
        return Settings(**{key: getattr(reduced, key) for key in self.keys})


BUILDERS: list[Callable[..., Any]] = []  # every declared builder, for the test that checks them all


def depends_on(*keys: str, reduce: Callable[[Settings], Settings] | None = None, memo: int = 0) -> Callable[[Builder], Builder]:
    """Declare what a builder depends on; it is then called with the key. With `memo`, results are also kept in a
    small cache of that many keys (for cheap, shared, read-only results such as texts)."""
    unknown = [key for key in keys if key not in SCHEMA]
    if unknown:
        raise ValueError(f"not settings: {unknown}")
    depends = Depends(tuple(keys), reduce)

    def attach(builder: Builder) -> Builder:
        build = lru_cache(maxsize=memo)(builder) if memo else builder

        @wraps(builder)
        def on_key(s: Settings) -> Result:
            return build(depends.key(s))

        on_key.depends = depends  # type: ignore[attr-defined]
        BUILDERS.append(on_key)
        return on_key

    return attach


def key_of(builder: Callable[..., Any], s: Settings) -> Settings:
    """The cache key of s for a declared builder."""
    return builder.depends.key(s)

