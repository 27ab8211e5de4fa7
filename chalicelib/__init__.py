"""Sitebook back end: domain, storage, HTTP API and import pipeline."""
