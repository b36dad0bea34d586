"""PUT /api/v1/users/me/upload-photo/: the web front end's upload, behind the same auth and ingest."""

from __future__ import annotations

import httpx2

from tests.photo_files import encode, portrait
from tests.security.conftest import ServeFor, mcp_client, mint

UPLOAD = "/api/v1/users/me/upload-photo/"


async def test_an_uploaded_photo_is_the_users_reference_photo(serve: ServeFor) -> None:
    jpeg = encode(portrait())
    with serve() as server:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {mint('ivy')}"}) as http:
            response = await http.put(server.url + UPLOAD, files={"image": ("me.jpg", jpeg, "image/jpeg")})
            body = response.json()
            served = await http.get(body["image_url"])
        async with mcp_client(server, mint("ivy")) as client:
            listed = await client.call_tool("list_reference_photos", {})
    assert response.status_code == 201, body
    assert body["photo_count"] == 1 and body["photo"]["filename"] == "me.jpg"
    assert body["quality_verdict"] in ("ok", "warn")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    photos = listed.structured_content["photos"]  # type: ignore[index]
    assert [p["photo_id"] for p in photos] == [body["photo"]["photo_id"]]


async def test_uploads_are_refused_with_what_to_do(serve: ServeFor) -> None:
    jpeg = encode(portrait())
    with serve(max_reference_photos=1) as server:
        writer = {"Authorization": f"Bearer {mint('jo')}"}
        reader = {"Authorization": f"Bearer {mint('jo', scope='images:read')}"}
        async with httpx2.AsyncClient() as http:
            read_only = await http.put(server.url + UPLOAD, headers=reader, files={"image": ("a.jpg", jpeg)})
            not_multipart = await http.put(server.url + UPLOAD, headers=writer, content=jpeg)
            no_field = await http.put(server.url + UPLOAD, headers=writer, files={"photo": ("a.jpg", jpeg)})
            not_image = await http.put(
                server.url + UPLOAD, headers=writer, files={"image": ("a.jpg", b"%PDF-1.4")}
            )
            first = await http.put(server.url + UPLOAD, headers=writer, files={"image": ("a.jpg", jpeg)})
            over_cap = await http.put(
                server.url + UPLOAD,
                headers=writer,
                files={"image": ("b.jpg", encode(portrait(colour=(9, 9, 9))))},
            )
    assert read_only.status_code == 403 and "images:write" in read_only.text
    assert not_multipart.status_code == 415 and "multipart/form-data" in not_multipart.json()["error"]
    assert no_field.status_code == 400 and "`image`" in no_field.json()["error"]
    assert not_image.status_code == 400 and "not an image" in not_image.json()["error"]
    assert first.status_code == 201
    assert over_cap.status_code == 409 and "Remove one first" in over_cap.json()["error"]
    assert len((await server.app.photos.index("jo")).photos) == 1
