"""The form body type shared by workspace handlers."""

from typing import Annotated, Any

from litestar.enums import RequestEncodingType
from litestar.params import Body

#: A URL-encoded HTML form, field name -> value (a list when a field repeats).
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

#: A multipart form (file uploads).
MultipartForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def form_text(data: dict[str, Any], name: str) -> str:
    """Field `name` of a form as text ("" when absent or repeated)."""
    value = data.get(name, "")
    return value if isinstance(value, str) else ""
