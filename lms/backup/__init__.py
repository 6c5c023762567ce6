"""Backups of the database and the uploads in one file, and restoring them."""
