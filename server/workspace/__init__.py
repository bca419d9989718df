"""The researcher workspace under /workspace: accounts, audit log, studies and fieldwork,
kiosk enrolment, invitation codes, anonymised export and import."""
