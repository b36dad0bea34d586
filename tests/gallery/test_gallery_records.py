"""Pages for records a plain identity run does not make: avatars, and a run that failed."""

from __future__ import annotations

import re
from pathlib import Path

from tests.fakes.images import png
from tool_server.app import AppContext
from tool_server.errors import ProviderBlocked
from tool_server.gallery import write_run_gallery, write_user_gallery
from tool_server.generation.images import save_image
from tool_server.userdata import keys
from tool_server.userdata.models import AvatarEntry, AvatarIndex

PASSING = {"face_found": True, "distance": 0.41, "score": 0.64, "threshold": 0.5, "passed": True}
FAILING = {"face_found": True, "distance": 0.71, "score": 0.29, "threshold": 0.5, "passed": False}


async def test_user_page_shows_each_avatar_with_headshot_fullbody_likeness_and_approval(
    app: AppContext, tmp_path: Path
) -> None:
    entries = []
    for number, likeness in ((1, FAILING), (2, PASSING)):
        headshot = await save_image(app, "alice", png((64, 64)), "avatar_headshot", likeness=likeness)
        fullbody = await save_image(app, "alice", png((64, 96)), "avatar_fullbody")
        entries.append(
            AvatarEntry(
                avatar_id=f"avt_{number}",
                number=number,
                provider="offline",
                headshot_image_id=headshot.image_id,
                fullbody_image_id=fullbody.image_id,
                headshot_name=f"avatar_{number}_headshot.png",
                likeness=likeness,
            )
        )
    index = AvatarIndex(avatars=entries, approved_avatar_id="avt_2")
    await app.docs.write(keys.avatar_index("alice"), index)

    html = (await write_user_gallery(app, "alice", tmp_path / "g")).read_text()
    cards = re.findall(r'<figure class="card( chosen)?">(.*?)</figure>', html, re.S)
    assert len(cards) == 2 and html.count("<img") == 4
    (first_chosen, first), (second_chosen, second) = cards
    assert not first_chosen and "0.29</b> · 0.71, fails: passes at 0.50" in first and "approved" not in first
    assert second_chosen and "0.64</b> · 0.41, passes at 0.50" in second and "approved" in second


async def test_failed_run_page_says_what_went_wrong(app: AppContext, tmp_path: Path) -> None:
    recorder = await app.runs.start("alice", "face_swap", {"prompt": "Swap onto the beach photo"})
    await recorder.save_step("target", png((80, 60)), "image/png", "reference")
    await recorder.fail(ProviderBlocked("The provider refused this image: rephrase the scene."))

    html = (await write_run_gallery(app, "alice", recorder.run_id, tmp_path / "g")).read_text()
    assert 'class="badge status-failed"' in html
    assert "The provider refused this image: rephrase the scene." in html
    assert "Swap onto the beach photo" in html and html.count("<img") == 1
    assert "No provider call recorded." in html
