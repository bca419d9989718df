"""A questionnaire's information text as short paragraphs for the consent screen.

The texts are written as one block (changing their wording would make a new instrument
version), but a block of six sentences is hard to take in on a ward tablet: the screen
shows them a couple of sentences at a time.
"""

import re

#: A sentence ends at . ! or ? followed by space and a capital letter or a digit.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ0-9])")


def short_paragraphs(text: str, sentences: int = 2) -> list[str]:
    """`text` split into paragraphs of at most `sentences` sentences; blank lines the
    author wrote stay paragraph breaks."""
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        parts = [part.strip() for part in _SENTENCE_END.split(" ".join(block.split())) if part.strip()]
        paragraphs.extend(" ".join(parts[i : i + sentences]) for i in range(0, len(parts), sentences))
    return paragraphs
