"""Request and response schemas of the platform resources, used to validate and to document."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from chalicelib.domain.names import drop_default_ignorables


class Strict(BaseModel):
    """A request body: unknown fields refused, strings trimmed, names and e-mails visible."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("name", "email", mode="before", check_fields=False)
    @classmethod
    def _visible_only(cls, value: object) -> object:
        # Names and e-mails are keys (unique per tenant); a character nobody can see must
        # neither make a second "Zed Pty" nor be stored.
        return drop_default_ignorables(value) if isinstance(value, str) else value


Name = Field(min_length=1, max_length=100)

# Patterns a text field must match, each with what it means to the user: a 422 says this
# rather than the expression (api/http.field_errors).
FILE_NAME = r"^[^/\\]+$"
PLAIN_NAME = r"^[^/\\\x00-\x1f]+$"
SHEET_TITLE = r"^[^\[\]:*?/\\\x00-\x1f]+$"  # Excel refuses these characters in a sheet title
PATTERN_MESSAGES = {
    FILE_NAME: "must be the file's own name, without folders (no / or \\)",
    PLAIN_NAME: "may not contain / or \\ or control characters",
    SHEET_TITLE: "may not contain [ ] : * ? / \\ or control characters (it titles a sheet)",
}


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None
    conflicting_id: str | None = Field(
        default=None,
        description="on a 409 for a taken name or number: the id of the record holding it",
    )


class RequestedBy(BaseModel):
    """Who asked for an import or export."""

    sub: str | None = Field(description="the token's subject; null for a partner's S3 drop")
    client_id: str | None = Field(
        default=None, description="the token's client_id claim, when it carries one"
    )
    drop: str | None = Field(
        default=None, description="the S3 key of a partner's dropped file that started it"
    )


class Health(BaseModel):
    status: Literal["ok"]


# --- lookups -------------------------------------------------------------------


class LookupCreate(Strict):
    name: str = Name
    active: bool = True
    due_days: int | None = Field(default=None, ge=0, le=365, description="payment-terms only")
    due_basis: Literal["invoice_date", "end_of_month"] | None = Field(
        default=None, description="payment-terms only"
    )
    adjustment_percent: float | None = Field(
        default=None, ge=-100, le=1000, description="price-levels only"
    )


class LookupPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    active: bool | None = None
    due_days: int | None = Field(default=None, ge=0, le=365)
    due_basis: Literal["invoice_date", "end_of_month"] | None = None
    adjustment_percent: float | None = Field(default=None, ge=-100, le=1000)


class Lookup(BaseModel):
    id: str
    kind: str
    name: str
    active: bool
    due_days: int | None = None
    due_basis: str | None = None
    adjustment_percent: float | None = None
    version: int
    created_at: str
    updated_at: str


class LookupPage(BaseModel):
    items: list[Lookup]
    next_cursor: str | None


# --- users ---------------------------------------------------------------------


class UserCreate(Strict):
    name: str = Name
    email: EmailStr
    role: Literal["admin", "staff"] = "staff"
    active: bool = True


class UserPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    email: EmailStr | None = None
    role: Literal["admin", "staff"] | None = None
    active: bool | None = None


class User(BaseModel):
    id: str
    name: str
    email: str
    role: Literal["admin", "staff"]
    active: bool
    version: int
    created_at: str
    updated_at: str


class UserPage(BaseModel):
    items: list[User]
    next_cursor: str | None


# --- settings ------------------------------------------------------------------


class SettingsPut(Strict):
    customer_label: str = Field(
        min_length=1,
        max_length=40,
        pattern=SHEET_TITLE,  # it titles the template's sheets
        description='What the business calls customers, e.g. "Client". It titles the import '
        "template's sheets, so it cannot hold [ ] : * ? / \\.",
    )
    default_country: str = Field(min_length=2, max_length=2, description="ISO 3166 alpha-2 code.")
    date_order: Literal["DMY", "MDY"] = Field(
        description="How ambiguous dates in imported files are read."
    )


class Settings(BaseModel):
    customer_label: str
    default_country: str
    date_order: Literal["DMY", "MDY"]
    version: int
