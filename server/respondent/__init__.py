"""The respondent side: starting a questionnaire, saving answers, submitting."""
