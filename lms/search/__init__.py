"""Full-text search over what trainees read: lessons, toolbox items and case studies.

`models` holds one plain-text document per item, `index` the engine's full-text index over
them (SQLite FTS5 or PostgreSQL tsvector), `services` rebuilds a course's documents on import,
`queries` answers a person's search within the courses they may open.
"""
