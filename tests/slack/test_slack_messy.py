"""/investigate through the Slack app (signed HTTP, real pipeline, fake Web API) on a messy incident:
a time zone in the question, a culprit recorded under its Argo CD application's name after the onset."""
from __future__ import annotations

import pytest
from support.fakeslack import bot_fixture, final_update, limits_ok

from support.servers import server_params
from test_slack_http import texts

pytestmark = pytest.mark.parametrize("es_url", server_params()[:1], indirect=True)


bot = bot_fixture("parcel-argo-skew")


def test_slash_investigate_reads_the_zone_and_names_the_mapped_culprit(bot):
    api, channel = bot.api, "CMESSY"
    resp = bot.command("/investigate", "why is parcel-router failing since 12:50 CEST?", channel)
    assert resp.status == 200
    final = api.wait_for(lambda a: final_update(a, channel), timeout=120)
    shown = texts(final.params["blocks"])
    assert limits_ok(final.params["blocks"])
    assert "2026-10-06T10:50:00" in shown, "12:50 CEST is 10:50 UTC"
    assert "argocd-parcel-router-prod-1412" in shown and "[C1]" in shown
    assert "Argo CD application parcel-router-prod is service parcel-router" in shown
