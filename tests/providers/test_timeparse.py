"""Durations, retry-after values, RFC 3339 times and rate-limit headers."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from router_core.providers.ratelimit_headers import anthropic_rate_limits, openai_rate_limits
from router_core.providers.timeparse import (
    format_seconds,
    next_midnight,
    parse_duration,
    parse_retry_after,
    parse_rfc3339,
)
from tests.providers.conftest import machine_in_zone

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("6m0s", 360.0), ("1s", 1.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("17s", 17.0), ("1.5s", 1.5),
     ("900ms", 0.9), ("8.64s", 8.64), ("0s", 0.0)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", [None, "", "soon", "12", "5 s", "s"])
def test_parse_duration_rejects_non_durations(text):
    assert parse_duration(text) is None


def test_parse_retry_after_forms():
    assert parse_retry_after("12", None, NOW) == 12.0
    assert parse_retry_after("0.5", None, NOW) == 0.5
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", None, NOW) == 60.0
    assert parse_retry_after(None, "250", NOW) == 0.25
    assert parse_retry_after("nonsense", None, NOW) is None
    assert parse_retry_after(None, None, NOW) is None


@pytest.fixture
def los_angeles_machine(monkeypatch):
    """This process's local time zone set to America/Los_Angeles (eight hours behind UTC in January)."""
    yield from machine_in_zone(monkeypatch, "America/Los_Angeles")


@pytest.mark.parametrize("date", [
    "Thu Jan  1 00:01:00 2026",  # asctime, an HTTP-date form (RFC 9110 5.6.7): GMT, though it names no zone
    "Thu, 01 Jan 2026 00:01:00 -0000",  # "-0000": UTC, its sender's local offset unknown (RFC 5322 3.3)
])
def test_a_retry_after_date_naming_no_zone_is_utc_not_this_machines_local_time(los_angeles_machine, date):
    # before: read as 00:01 in Los Angeles, a wait of 8h01m instead of a minute
    assert parse_retry_after(date, None, NOW) == 60.0


def test_a_retry_after_date_counts_from_the_date_the_sender_stamped():
    sent = "Thu, 01 Jan 2026 00:00:00 GMT"
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", None, NOW - 7200, sent) == 60.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", None, NOW, "not a date") == 60.0  # else from now
    assert parse_retry_after("20", None, NOW, "Thu, 01 Jan 2026 05:00:00 GMT") == 20.0  # seconds: as they are


def test_parse_rfc3339():
    assert parse_rfc3339("2025-08-21T12:40:59Z") == datetime(2025, 8, 21, 12, 40, 59, tzinfo=UTC).timestamp()
    assert parse_rfc3339("2025-08-21T14:40:59+02:00") == datetime(2025, 8, 21, 12, 40, 59, tzinfo=UTC).timestamp()
    assert parse_rfc3339("yesterday") is None


def test_next_midnight_pacific_across_dst_change():
    la = ZoneInfo("America/Los_Angeles")
    # 2026-03-08 is the spring-forward day: the day is 23 hours long in Los Angeles.
    noon = datetime(2026, 3, 8, 12, tzinfo=la).timestamp()
    assert next_midnight(noon, la) == datetime(2026, 3, 9, tzinfo=la).timestamp()
    assert next_midnight(NOW, la) == NOW + 8 * 3600


@pytest.mark.parametrize(("seconds", "text"), [(0.084, "84ms"), (12, "12s"), (11.2, "12s"), (245, "4m05s"),
                                               (7800, "2h10m")])
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text


def test_openai_headers_to_observation():
    headers = {"x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "59",
               "x-ratelimit-reset-requests": "1s", "x-ratelimit-limit-tokens": "150000",
               "x-ratelimit-remaining-tokens": "149984", "x-ratelimit-reset-tokens": "6m0s"}
    observed = openai_rate_limits(headers, NOW)
    assert (observed.requests_limit, observed.requests_remaining, observed.tokens_limit,
            observed.tokens_remaining) == (60, 59, 150000, 149984)
    assert (observed.requests_reset_at, observed.tokens_reset_at) == (NOW + 1, NOW + 360)


def test_missing_headers_give_no_observation():
    assert openai_rate_limits({}, NOW) is None
    assert anthropic_rate_limits({"request-id": "req_1"}, NOW) is None


def test_anthropic_combined_tokens_family_is_bound_by_a_tighter_input_or_output_family():
    # The combined family sums input and output (2.6): 95000 of 96000 left hides an output family 1000 of 16000
    # from spent; its fraction (1/16) of the combined limit is what is left, until the output family's reset.
    headers = {"anthropic-ratelimit-tokens-limit": "96000", "anthropic-ratelimit-tokens-remaining": "95000",
               "anthropic-ratelimit-tokens-reset": "2026-01-01T00:00:30Z",
               "anthropic-ratelimit-output-tokens-limit": "16000",
               "anthropic-ratelimit-output-tokens-remaining": "1000",
               "anthropic-ratelimit-output-tokens-reset": "2026-01-01T00:00:50Z"}
    observed = anthropic_rate_limits(headers, NOW)
    assert (observed.tokens_limit, observed.tokens_remaining, observed.tokens_reset_at) == (96000, 6000, NOW + 50)
    assert observed.requests_limit is None
    headers["anthropic-ratelimit-output-tokens-remaining"] = "16000"  # the combined one is the tighter: it stands
    observed = anthropic_rate_limits(headers, NOW)
    assert (observed.tokens_limit, observed.tokens_remaining, observed.tokens_reset_at) == (96000, 95000, NOW + 30)


def test_rate_limit_counts_sent_twice_read_as_the_lower():
    # A proxy that adds its own header joins them ("60, 60"): the counts were unreadable, so the usage the provider
    # reported was lost; the lower of each pair is the one to respect.
    obs = openai_rate_limits({"x-ratelimit-limit-requests": "500, 500", "x-ratelimit-remaining-requests": "12, 11",
                              "x-ratelimit-limit-tokens": "30000", "x-ratelimit-remaining-tokens": "2900,3000"}, NOW)
    assert (obs.requests_limit, obs.requests_remaining, obs.tokens_limit, obs.tokens_remaining) == (500, 11, 30000, 2900)


def test_a_date_header_far_from_this_clock_is_not_taken_as_the_senders_clock():
    # Final read: "Date: Thu, 01 Jan 1970 00:00:00 GMT" (a misconfigured proxy) turned a minute's Retry-After into
    # 56 years, held as a day's quota hold; a clock hours off is a resumed VM, decades off is no clock at all.
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", None, NOW, "Thu, 01 Jan 1970 00:00:00 GMT") == 60.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", None, NOW, "Sat, 03 Jan 2026 00:00:00 GMT") == 60.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", None, NOW - 7200, "Thu, 01 Jan 2026 00:00:00 GMT") == 60.0


def test_an_age_is_taken_off_each_form_of_retry_after():
    date = "Thu, 01 Jan 2026 00:00:00 GMT"  # NOW, by the sender's clock
    assert parse_retry_after("30", None, NOW, age="20") == 10.0
    assert parse_retry_after(None, "30000", NOW, age="20") == 10.0
    assert parse_retry_after("30", None, NOW, age="40") == 0.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", None, NOW, date, age="20") == 40.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", None, NOW, age="20") == 60.0  # no Date: read as now
    assert parse_retry_after("30", None, NOW, age="-5") == 30.0


def test_an_age_header_that_is_no_ascii_number_counts_as_none():
    # "²" passed str.isdigit() and float() then raised ValueError while a 429 was being read: no RateLimited at all.
    from router_core.providers.timeparse import age_seconds

    assert [age_seconds(t) for t in ("²", "¹²", "٣", " 12 , 3", "-5", "1.5", "", None)] == [0, 0, 0, 12, 0, 0, 0, 0]
