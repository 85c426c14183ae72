"""Rules with no I/O: text normalisation, times, ids, poll rules and counting.

Nothing here imports SQLAlchemy, click, rich or Flask, or touches a file, a clock
source other than its argument, or the environment.
"""
