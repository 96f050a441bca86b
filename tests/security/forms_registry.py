"""Every Django form the project defines, found by importing the modules that hold forms."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from django import forms

import jifen

# No forms a person fills in there (and the production settings need their environment).
_SKIPPED_PACKAGES = ("jifen.settings", "jifen.demo")
_SKIPPED_PARTS = (".migrations", ".management")


def project_forms() -> dict[str, type[forms.BaseForm]]:
    """``{"module.ClassName": form class}`` of every concrete form with fields of its own
    (bases such as ``_PasswordsMatch`` are left out: their subclasses are there)."""
    found: dict[str, type[forms.BaseForm]] = {}
    for info in pkgutil.walk_packages(jifen.__path__, "jifen."):
        name = info.name
        if name.startswith(_SKIPPED_PACKAGES) or any(p in name for p in _SKIPPED_PARTS):
            continue
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == name
                and not attr.startswith("_")
            ):
                found[f"{name}.{attr}"] = value
    return found
