"""Who may start a questionnaire: enrolled ward tablets and invitations (the credentials).

Below both the tablet pages and the workspace: the workspace issues credentials
(`server.workspace.enrolment`), the tablet pages and the JSON API present them, and this
package checks and redeems them. `grant` turns a presented credential into what it allows
(study, site, setting, groups); `starts` counts, limits and records each start.
"""
