"""What leaves the building: numbered publications of the gradation, the authority's
read-only API, ladder figures, the printable report and the public page."""
