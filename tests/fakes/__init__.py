"""Fakes for the provider layer: an HTTP server speaking the three wire formats, and fake coding CLIs."""

from tests.fakes.fake_limits import Limits
from tests.fakes.fake_provider import FakeProviders
from tests.fakes.fake_script import Fault, ProviderStats, RecordedRequest

__all__ = ["FakeProviders", "Fault", "Limits", "ProviderStats", "RecordedRequest"]
