"""The one-default-contact rule: which of a customer's contacts hold the default after a change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class ContactStanding:
    """What the rule needs of one contact: its id, whether it is the default, and its age.

    ``created_at`` is an ISO 8601 timestamp; only its order matters (the oldest inherits).
    """

    id: str
    is_default: bool
    created_at: str = ""


@dataclass(frozen=True)
class DefaultChange:
    """The outcome of a change for the default: what to write besides the contact itself.

    ``is_default`` is the changed contact's flag after the change (False when it is
    removed); ``demote`` the other contacts that lose the default; ``promote`` the contact
    that inherits it when the default is removed (None when nobody does).
    """

    is_default: bool
    demote: tuple[str, ...] = ()
    promote: str | None = None


def default_change(
    contacts: Sequence[ContactStanding],
    contact_id: str | None,
    *,
    says: bool | None = None,
    removing: bool = False,
) -> DefaultChange:
    """How one customer's default contact moves when ``contact_id`` is added, changed or removed.

    ``contacts`` are the customer's contacts as stored; ``contact_id`` is None for a contact
    being added. ``says`` is the contact's ``is_default`` as sent (None: not sent).
    The rule, the API's and the importer's (docs/decisions/customers.md): a customer has
    exactly one default once it has a contact. A new contact is the default when it says
    so or when the customer has none; saying true moves the default here and demotes the
    others; removing the default hands it to the oldest remaining contact. Raises
    ValidationFailed (field ``is_default``) when the default is told it is no longer the
    default: another contact must be made the default instead.
    """
    this = next((c for c in contacts if c.id == contact_id), None)
    others = [c for c in contacts if c.id != contact_id]
    if removing:
        if this is None or not this.is_default or not others:
            return DefaultChange(False)
        heir = min(others, key=lambda c: c.created_at)
        return DefaultChange(False, promote=heir.id)
    if this is None:
        becomes = bool(says) or not any(c.is_default for c in others)
    elif says is None or bool(says) == this.is_default:
        return DefaultChange(this.is_default)
    elif not says:
        raise ValidationFailed(
            [FieldError("is_default", "make another contact the default instead")]
        )
    else:
        becomes = True
    demote = tuple(c.id for c in others if c.is_default) if becomes else ()
    return DefaultChange(becomes, demote)
