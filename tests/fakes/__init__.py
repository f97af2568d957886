"""Fakes for the provider layer: an HTTP server speaking the three wire formats, and fake coding CLIs.

Import from ``tests.fakes.fake_provider`` (FakeProviders, Fault, Limits, ProviderStats, RecordedRequest); this
package imports nothing itself so that ``python -m tests.fakes.fake_provider`` runs cleanly.
"""
