"""The neighbourhood's archive button: admins of the neighbourhood (and instance admins)
download it, moderators and residents cannot, and the form needs its CSRF token."""

from __future__ import annotations

import io
import json
import tarfile

from server.domain import membership
from tests.harness import Instance, federating
from tests.server.web.test_organiser_pages import _joined, actor, create_hood, signed_in


async def test_admins_download_the_archive_others_cannot(instance: Instance) -> None:
    async with signed_in(instance, "beheer", admin=True) as admin:
        assert (await create_hood(admin, "oost"))[0] == 200
        page = (await admin.get("/neighbourhoods/oost/manage"))[1]
        assert "/neighbourhoods/oost/manage/export" in page
        async with admin.session.post(
            instance.url("/neighbourhoods/oost/manage/export"), data={"csrf": admin.csrf()}
        ) as resp:
            assert resp.status == 200
            assert "attachment" in resp.headers["Content-Disposition"]
            archive = await resp.read()
        async with admin.session.post(instance.url("/neighbourhoods/oost/manage/export"), data={}) as resp:
            assert resp.status == 403  # no CSRF token
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest = json.loads(member.read())
    assert manifest["actor"].endswith("/actors/oost")

    oost = await actor(instance, "oost")
    async with signed_in(instance, "mona") as mona:
        mona_row = await _joined(instance, "mona", oost)
        await membership.set_role(federating(instance), await actor(instance, "beheer"), oost, mona_row, "moderator")
        await mona.get("/neighbourhoods/oost/manage")
        async with mona.session.post(
            instance.url("/neighbourhoods/oost/manage/export"), data={"csrf": mona.csrf()}
        ) as resp:
            assert resp.status == 403  # a moderator, not an admin of the neighbourhood
