"""Rendering shared by several commands (tables, summaries); commands import views, never
other commands."""
