"""Front ends: the command line, its renderers and batch files, and the HTTP API.

They parse input, call the service or the operations, and translate the results
and errors into output, exit codes and HTTP statuses.
"""
