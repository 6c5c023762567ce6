"""Signed accreditation certificates: keys, credentials, status lists, verification."""
