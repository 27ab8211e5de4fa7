"""Staff users' rules: e-mail addresses kept lower-case, fields a change may not clear."""

from __future__ import annotations

from typing import Any

from .errors import refuse_nulls


def prepare_user(values: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """The user values to store: the e-mail lower-cased, as it is unique ignoring case.

    With ``partial`` (a PATCH) no field may be set to null: ValidationFailed names each.
    """
    if partial:
        refuse_nulls(values)
    out = dict(values)
    if out.get("email") is not None:
        out["email"] = out["email"].lower()
    return out
