"""The body profile tool: merges answers, and asks the user for missing ones where the client can."""

from typing import Annotated, Any

from mcp.server.mcpserver import AcceptedElicitation, Context, Elicit, ElicitationResult, MCPServer, Resolve
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field, create_model

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.tools.boundary import coach_errors
from tool_server.userdata.models import PROFILE_FIELDS, BodyProfile, Build, Gender, Height, SkinTone

_FIELD_TYPES: dict[str, tuple[Any, str]] = {
    "gender": (Gender, "Gender: man, woman or non_binary_other"),
    "height": (Height, "Height: short, below_average, average, above_average or tall"),
    "build": (Build, "Build: slim, athletic, average, curvy_stocky or plus_size"),
    "skin_tone": (SkinTone, "Skin tone: light, medium_light, medium, medium_dark or dark"),
}


class BodyProfileView(BaseModel):
    gender: Gender | None = None
    height: Height | None = None
    build: Build | None = None
    skin_tone: SkinTone | None = None
    complete: bool
    missing: list[str] = Field(description="Fields still to ask the user for.")
    message: str


def profile_view(profile: BodyProfile) -> BodyProfileView:
    missing = profile.missing()
    if missing:
        message = (
            "Body profile still missing: " + ", ".join(missing) + ". Ask the user, in a respectful "
            "way, and call set_body_profile again with their answers."
        )
    else:
        message = "Body profile complete."
    return BodyProfileView(
        gender=profile.gender,
        height=profile.height,
        build=profile.build,
        skin_tone=profile.skin_tone,
        complete=not missing,
        missing=missing,
        message=message,
    )


def _question_form(missing: list[str]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (_FIELD_TYPES[name][0], Field(title=_FIELD_TYPES[name][1])) for name in missing
    }
    return create_model("BodyProfileQuestions", **fields)


def register(server: MCPServer[Any], app: AppContext) -> None:
    async def ask_for_missing(
        ctx: Context[Any, Any],
        gender: str | None = None,
        height: str | None = None,
        build: str | None = None,
        skin_tone: str | None = None,
    ) -> Elicit[BaseModel] | None:
        """Ask the user for what is still missing, when the client can show a form; else nothing."""
        capabilities = ctx.client_capabilities
        if capabilities is None or capabilities.elicitation is None:
            return None
        stored = await app.profiles.get(acting_user(app))
        given = {"gender": gender, "height": height, "build": build, "skin_tone": skin_tone}
        missing = [name for name in PROFILE_FIELDS if given[name] is None and getattr(stored, name) is None]
        if not missing:
            return None
        return Elicit(
            "To picture you in your new identity, a few optional details about your body help. "
            "Choose what fits you best.",
            _question_form(missing),
        )

    @server.tool(
        title="Set the body profile",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True),
    )
    @coach_errors
    async def set_body_profile(
        answers: Annotated[ElicitationResult[BaseModel], Resolve(ask_for_missing)],
        gender: Gender | None = None,
        height: Height | None = None,
        build: Build | None = None,
        skin_tone: SkinTone | None = None,
    ) -> BodyProfileView:
        """Save the user's body profile (drawn in generic_swap images); fields left out are kept.

        Returns missing: ask the user for those, respectfully, and call again.
        """
        given: dict[str, Any] = {"gender": gender, "height": height, "build": build, "skin_tone": skin_tone}
        if isinstance(answers, AcceptedElicitation) and answers.data is not None:
            for name, value in answers.data.model_dump().items():
                given.setdefault(name, None)
                if given[name] is None:
                    given[name] = value
        profile = await app.profiles.merge(acting_user(app), given)
        return profile_view(profile)
