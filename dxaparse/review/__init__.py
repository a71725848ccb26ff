"""The review workbench (`dxaparse review`, docs/review.md): a small server-rendered web application
over the result store where a coder clears held and flagged exams — sees where each number came from,
corrects the findings, re-codes them with the same coder, overrides a code from the tables in force,
and releases the charge — every step recorded in the store's audit trail.

Its libraries (Starlette, Jinja2, argon2-cffi) are the `review` extra, imported only by this package:
`dxaparse code` never pays for them.
"""
