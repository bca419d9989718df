"""Instruments as versioned data: the measure catalogue, the questionnaires and their loader.

This package never touches the database; it turns YAML files into validated, frozen
msgspec Structs that the server stores and serves.
"""
