"""Deferred imports: modules and request schemas that load on first use, not at cold start.

Every API Lambda imports app.py, which declares every route; most requests touch one service,
so route modules name their services and schemas through these references and a cold start
pays only for what its first request uses (issue 14.9; bench/cold_start.py measures it).
"""

from __future__ import annotations

import importlib
from typing import Any


class DeferredModule:
    """A module imported on its first attribute access: ``customers = deferred("x.customers")``.

    Attribute access returns the real module's attribute each time, so ``mock.patch`` of the
    real module is seen, and nothing but the first access pays for the import.
    """

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<deferred module {self._name}>"


def deferred(name: str) -> DeferredModule:
    """A stand-in for ``import name`` that imports on first use (name: a dotted module path)."""
    return DeferredModule(name)


class SchemaRef:
    """A pydantic model named by module and class, resolved on first use.

    Routes are declared at import, with the model they validate with; a reference keeps
    pydantic and the model's schema building out of the cold start. Attribute access
    (``ref.model_validate``) is passed to the model, so a route body uses it like the class.
    """

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def resolve(self) -> type:
        """The model class (imports its module on the first call)."""
        return getattr(importlib.import_module(self.module), self.name)

    @property
    def __name__(self) -> str:  # the OpenAPI document names components by class name
        return self.name

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.resolve(), attr)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<schema {self.module}.{self.name}>"


class SchemaModule:
    """``s = schemas("chalicelib.api.customer_schemas")``: ``s.CustomerIn`` is a SchemaRef."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> SchemaRef:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return SchemaRef(self._name, attr)


def schemas(name: str) -> SchemaModule:
    """References to the models of module ``name``, none imported until used."""
    return SchemaModule(name)


def resolve(model: Any) -> Any:
    """A model class from a SchemaRef, or ``model`` itself when it is one already."""
    return model.resolve() if isinstance(model, SchemaRef) else model
