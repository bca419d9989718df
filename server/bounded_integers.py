"""Integers the database can hold, for path and query parameters.

PostgreSQL's `integer` (every id and publication number here) holds -2^31 .. 2^31-1 and
`bigint` (offsets, counts) -2^63 .. 2^63-1; a larger number sent to it is a driver error,
not an answer. Python's int has no bound, so the bounds are checked before the database:
path integers by `server.input_screening` (outside the range: 404, as no such row can
exist), query integers by the annotated types below (outside the range: 400 naming it).
"""

from typing import Annotated

from litestar.params import QueryParameter

from server.respondent.errors import InvalidInput

INT4_MIN = -(2**31)
INT4_MAX = 2**31 - 1
INT8_MIN = -(2**63)
INT8_MAX = 2**63 - 1


def fits_integer_column(value: int) -> bool:
    """True if `value` fits PostgreSQL's `integer` (and so every id column)."""
    return INT4_MIN <= value <= INT4_MAX


#: A row offset for paging (`?offset=`): 0 .. bigint's largest value.
Offset = Annotated[int, QueryParameter(ge=0, le=INT8_MAX, description="Rows to skip.")]


def form_integer(field: str, text: object) -> int | None:
    """The whole number in form field `field`, or None if it holds none (only ASCII digits
    count: "²".isdigit() is true, yet int() refuses it). A number no integer column can
    hold is refused with 400 naming the field."""
    if not isinstance(text, str) or not (stripped := text.strip()).isascii() or not stripped.isdigit():
        return None
    # The length first: int() refuses more than 4,300 digits.
    if len(stripped.lstrip("0")) > 10 or not fits_integer_column(value := int(stripped)):
        raise InvalidInput(field, f"must be at most {INT4_MAX}")
    return value
