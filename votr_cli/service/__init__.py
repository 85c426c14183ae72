"""The service: what a user can do to polls (create, vote, close, reopen, list, batch
voting), as functions that take a Database and plain values, return plain data
and raise votr's domain errors. It knows no click, rich or Flask.
"""
