"""The web side: the revision store, the form's session model, its widgets, the server and KPI import.

Nothing outside this package (and the CLI above it) imports from here.
"""
