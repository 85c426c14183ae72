"""Storage: the tables, engines and transactions, the backend differences, the
schema gate and driver errors turned into votr's errors.
"""
