"""Runs of actors, admin actions and commands: the Job table, its queries, schedules and charts."""

from app.jobs import script_jobs as script_jobs  # registers the Job row of rows written outside a job
