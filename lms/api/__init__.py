"""The public JSON API under /api/v1: verification, personal API tokens, OpenAPI."""
