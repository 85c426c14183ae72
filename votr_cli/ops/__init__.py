"""Operations on a whole database: migrations, checks, export and import, and the
adoption of databases left by the old Votr web app.
"""
