"""What a name in a module stands for, and whether a definition uses a given function.

Resolution is static and one-way: a reference's first name is looked up in the module's own
definitions, then its imports, then its star imports; the dotted result is found in the index,
following re-exports (`from .helpers import slugify` in a package's `__init__`). Local variables,
instance attributes other than `self.x`/`cls.x` and anything dynamic stay unresolved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from engine.context.definitions import Definition, ModuleInfo

MAX_REEXPORT_HOPS = 4
Usage = Literal["exact", "likely"]
"""exact: a reference resolves to the function; likely: its name is used and binds to nothing else."""


def qualify(
    modules: Mapping[str, ModuleInfo], module: ModuleInfo, reference: str, enclosing_class: str | None
) -> str | None:
    """The dotted name `reference` stands for in `module`; None when nothing there binds its first name."""
    first, _, rest = reference.partition(".")
    if first in ("self", "cls") and enclosing_class:
        base = f"{module.name}.{enclosing_class}"
    elif first in module.definitions:
        base = f"{module.name}.{first}"
    elif first in module.imports:
        base = module.imports[first]
    else:
        starred = [star for star in module.star_imports if resolve_dotted(modules, f"{star}.{first}")]
        if not starred:
            return None
        base = f"{starred[0]}.{first}"
    return f"{base}.{rest}" if rest else base


def resolve(
    modules: Mapping[str, ModuleInfo], module: ModuleInfo, reference: str, enclosing_class: str | None
) -> Definition | None:
    dotted = qualify(modules, module, reference, enclosing_class)
    return resolve_dotted(modules, dotted) if dotted else None


def resolve_dotted(modules: Mapping[str, ModuleInfo], dotted: str, hops: int = 0) -> Definition | None:
    """The definition a dotted name (`pkg.mod.Class.method`) names, if it is in the index."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        module = modules.get(".".join(parts[:split]))
        if module is None:
            continue
        qualname = ".".join(parts[split:])
        if qualname in module.definitions:
            return module.definitions[qualname]
        if hops >= MAX_REEXPORT_HOPS:
            return None
        head, rest = parts[split], parts[split + 1 :]
        if head in module.imports:
            return resolve_dotted(modules, ".".join([module.imports[head], *rest]), hops + 1)
        for star in module.star_imports:
            found = resolve_dotted(modules, ".".join([star, *parts[split:]]), hops + 1)
            if found is not None:
                return found
        return None  # the longest module prefix decides: a shorter one cannot hold this name
    return None


def usage_of(
    modules: Mapping[str, ModuleInfo], user: Definition, target_module: str, target_qualname: str
) -> Usage | None:
    """How surely `user` uses the function or method `target_qualname` of `target_module`.

    A method counts as likely used through an attribute of an unknown object (`catalogue.find(...)`)
    only when the user also names the method's class.
    """
    name = target_qualname.rpartition(".")[2]
    if name not in user.uses:
        return None
    module = modules.get(user.module)
    target_class = target_qualname.rpartition(".")[0]
    unbound_name = False
    for reference in user.references:
        if reference != name and not reference.endswith("." + name):
            continue
        dotted = qualify(modules, module, reference, user.class_qualname) if module else None
        if dotted is None:
            unbound_name = unbound_name or reference == name
            continue
        found = resolve_dotted(modules, dotted)
        if dotted == f"{target_module}.{target_qualname}" or (
            found is not None and (found.module, found.qualname) == (target_module, target_qualname)
        ):
            return "exact"
    if target_class:
        return "likely" if target_class.rpartition(".")[2] in user.uses else None
    return "likely" if unbound_name else None
