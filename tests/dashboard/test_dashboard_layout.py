"""What the dashboard shows fits where it is shown, in headless Chromium at a laptop's window sizes.

The test serves the page with a measuring script of its own added (and the page's script policy dropped for it):
once the page has rendered, it writes on <body> which of the budget's figures are wider than their box.
"""

from __future__ import annotations

import copy
import re

import pytest

from tests.dashboard.test_dashboard_browser import body_attrs, chromium, serve

pytestmark = pytest.mark.slow

MEASURE = b"""<script>
setTimeout(function () {
  var cut = [];
  document.querySelectorAll("#budget .figure, #budget").forEach(function (box) {
    if (box.scrollWidth > box.clientWidth) cut.push(box.id || box.textContent.trim().split(/\\s+/)[0]);
  });
  document.body.setAttribute("data-cut", cut.join(",") || "none");
}, 1500);
</script></body>"""


def measured(app):
    """``app`` with MEASURE added to the page and its Content-Security-Policy left out (so that MEASURE runs)."""
    async def serve_(scope, receive, send):
        if scope.get("path") != "/dashboard":
            return await app(scope, receive, send)

        async def sending(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message["headers"]
                           if k.lower() not in (b"content-security-policy", b"content-length")]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                message = {**message, "body": message.get("body", b"").replace(b"</body>", MEASURE)}
            await send(message)

        await app(scope, receive, sending)

    return serve_


@pytest.mark.parametrize("width", [1280, 1440])
def test_a_team_sized_budget_fits_its_figures(tmp_path, state, width):
    # A team's budget runs to thousands: at 1440 px '$1,220.18' remaining was cut off at its box's edge (the
    # four figures had a quarter of the budget's column each, whatever their width) and the section scrolled.
    big = copy.deepcopy(state)
    big["budget"].update(total=2500.0, spent=1234.5678, reserved=45.25, remaining=1220.18)

    async def get_state():
        return big

    with serve(get_state, max_events=1, wrap=measured) as base:
        proc = chromium(tmp_path, f"{base}/dashboard?transport=poll", "--dump-dom", f"--window-size={width},900")

    attrs = body_attrs(proc.stdout)
    assert "data-error" not in attrs and attrs["data-rendered"] != "0", proc.stdout[-2000:]
    assert "$1,220.18" in re.sub(r"<[^>]+>", " ", proc.stdout)
    assert attrs["data-cut"] == "none"
