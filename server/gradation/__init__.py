"""From stored answers to a gradation result, and the API that serves it."""
