"""Server-rendered respondent pages for ward tablets and own devices."""
