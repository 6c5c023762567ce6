"""Dashboards, progress and KPIs: aggregate queries, server-rendered SVG charts, CSV export."""
