"""Bearer-token auth over real HTTP: 401 without a valid token, HS256 and RS256 (JWKS), scopes per tool."""

from __future__ import annotations

import httpx2
import pytest

from tests.security.conftest import SECRET, JwksServer, ServeFor, mcp_client, mint, seed_user
from tool_server.auth.tokens import user_for_subject

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.mark.parametrize(
    "token",
    [
        None,
        "not-a-jwt",
        mint("alice", secret="another-secret-" + "y" * 32),
        mint("alice", expires_in=-120),
        mint("alice", exp=None),
        mint(None),  # type: ignore[arg-type]
        mint("alice", iss="https://somebody-else.example"),
        mint("alice", aud="another-service"),
    ],
    ids=["none", "garbage", "wrong-key", "expired", "no-exp", "no-sub", "wrong-issuer", "wrong-audience"],
)
async def test_mcp_without_a_valid_token_gets_401_and_nothing_else(
    serve: ServeFor, token: str | None
) -> None:
    headers = {**MCP_HEADERS, **({"Authorization": f"Bearer {token}"} if token else {})}
    with serve(jwt_issuer="https://coach.example", jwt_audience="coach-image-tools") as server:
        async with httpx2.AsyncClient() as http:
            response = await http.post(server.mcp_url, json=INITIALIZE, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert "mcp-session-id" not in response.headers
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and "/.well-known/oauth-protected-resource/mcp" in challenge


async def test_the_protected_resource_metadata_names_the_resource_and_issuer(serve: ServeFor) -> None:
    with serve(jwt_issuer="https://coach.example") as server:
        async with httpx2.AsyncClient() as http:
            response = await http.get(f"{server.url}/.well-known/oauth-protected-resource/mcp")
    assert response.status_code == 200
    metadata = response.json()
    assert metadata["resource"] == server.mcp_url
    assert metadata["authorization_servers"] == ["https://coach.example"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_valid_hs256_token_acts_for_its_subject(serve: ServeFor, mode: str) -> None:
    token = mint("casey", iss="https://coach.example", aud="coach-image-tools")
    with serve(jwt_issuer="https://coach.example", jwt_audience="coach-image-tools") as server:
        async with mcp_client(server, token, mode) as client:
            saved = await client.call_tool("save_identity", {"name": "Founder", "visualization": "On stage"})
        assert not saved.is_error, saved.content
        stored = await server.app.identities.list("casey")
        assert [i.name for i in stored] == ["Founder"]
        assert await server.app.identities.list(server.app.settings.user) == []


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_rs256_tokens_are_checked_against_the_jwks(
    serve: ServeFor, jwks: JwksServer, mode: str
) -> None:
    with serve(jwt_secret=None, jwks_url=jwks.url) as server:
        async with mcp_client(server, jwks.mint("dana"), mode) as client:
            listed = await client.call_tool("list_identities", {})
        assert not listed.is_error, listed.content
        assert jwks.fetches >= 1
        impostor = JwksServer()  # same kid, another key: the signature cannot match
        async with httpx2.AsyncClient() as http:
            forged = await http.post(
                server.mcp_url,
                json=INITIALIZE,
                headers={**MCP_HEADERS, "Authorization": f"Bearer {impostor.mint('dana')}"},
            )
            # An HS256 token signed with the public key's text must not pass (algorithm confusion).
            confused = await http.post(
                server.mcp_url,
                json=INITIALIZE,
                headers={**MCP_HEADERS, "Authorization": f"Bearer {mint('dana', secret=SECRET)}"},
            )
    assert forged.status_code == 401
    assert confused.status_code == 401


async def test_a_read_only_token_can_read_but_every_writing_tool_says_which_scope_is_missing(
    serve: ServeFor,
) -> None:
    with serve() as server:
        async with mcp_client(server, mint("erin", scope="images:read")) as client:
            listed = await client.call_tool("list_identities", {})
            profile = await client.read_resource("coach://me/body_profile")
            tools = (await client.list_tools()).tools
            refused = {}
            for tool in tools:
                if tool.annotations and tool.annotations.read_only_hint:
                    continue
                result = await client.call_tool(tool.name, {})
                refused[tool.name] = result.content[0].text  # type: ignore[union-attr]
        assert not listed.is_error and profile.contents
        assert await server.app.identities.list("erin") == []
    assert {"save_identity", "add_reference_photo", "delete_my_data"} <= set(refused)
    for name, text in refused.items():
        assert "images:write scope" in text and "mint the user's token" in text, name


async def test_a_token_without_scopes_cannot_read_resources_or_call_read_tools(serve: ServeFor) -> None:
    from mcp.shared.exceptions import MCPError

    with serve() as server:
        async with mcp_client(server, mint("fay", scope="")) as client:
            result = await client.call_tool("list_reference_photos", {})
            with pytest.raises(MCPError, match="images:read"):
                await client.read_resource("coach://me/photo_url")
    assert result.is_error and "images:read scope" in result.content[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize(("method", "path"), [("GET", "/metrics"), ("PUT", "/api/v1/users/me/upload-photo/")])
async def test_every_custom_route_answers_401_without_a_valid_token(
    serve: ServeFor, method: str, path: str
) -> None:
    with serve() as server:
        async with httpx2.AsyncClient() as http:
            anonymous = await http.request(method, server.url + path)
            expired = await http.request(
                method, server.url + path, headers={"Authorization": f"Bearer {mint('a', expires_in=-99)}"}
            )
    for response in (anonymous, expired):
        assert response.status_code == 401
        assert "resource_metadata=" in response.headers["www-authenticate"]


def test_subjects_that_are_not_storage_safe_map_to_a_stable_hashed_user() -> None:
    assert user_for_subject("casey") == "casey"
    assert user_for_subject("user@example.com") == "user@example.com"
    hashed = user_for_subject("auth0|64f1c2")
    assert hashed.startswith("sub-") and hashed == user_for_subject("auth0|64f1c2")
    assert user_for_subject("../etc") != "../etc" and "/" not in user_for_subject("a/b")


async def test_a_token_whose_sub_is_another_users_hashed_id_cannot_reach_their_storage(
    serve: ServeFor,
) -> None:
    victim = "auth0|64f1c2"
    forged = user_for_subject(victim)  # `sub-<hash>`, a storage-safe string the attacker can put in `sub`
    with serve() as server:
        await seed_user(server, victim)
        async with mcp_client(server, mint(forged)) as client:
            photos = await client.call_tool("list_reference_photos", {})
            identities = await client.call_tool("list_identities", {})
    assert photos.structured_content["photo_count"] == 0  # type: ignore[index]
    assert identities.structured_content["identities"] == []  # type: ignore[index]
    assert user_for_subject(forged) != forged


@pytest.mark.parametrize("subject", ["alice\n", "alice\r\n", "sub-" + "ab12" * 10, "SUB-" + "AB12" * 10])
def test_no_subject_maps_to_a_user_id_of_another_shape(subject: str) -> None:
    """A trailing newline passed the old `$` check; a literal `sub-<hash>` looked like a hashed user."""
    user = user_for_subject(subject)
    assert user != subject and user != subject.strip()
    assert user.startswith("sub-") and len(user) == 44 and user == user_for_subject(subject)


def test_storage_safe_subjects_keep_their_user_id_so_no_stored_data_moves() -> None:
    for subject in ("alice", "user@example.com", "sub-alice", "sub-" + "ab12" * 9, "a.b_c-d"):
        assert user_for_subject(subject) == subject


def test_ids_from_arguments_with_a_trailing_newline_are_refused() -> None:
    from storage.keys import is_safe_segment
    from tool_server.errors import InvalidInput, NotFound
    from tool_server.ids import check_id, check_new_identity_id, new_id

    photo_id = new_id("photo")
    assert check_id(photo_id, "reference photo", prefix="photo_") == photo_id
    with pytest.raises(NotFound):
        check_id(photo_id + "\n", "reference photo", prefix="photo_")
    with pytest.raises(InvalidInput):
        check_new_identity_id("my-identity\n")
    assert is_safe_segment("alice") and not is_safe_segment("alice\n")
