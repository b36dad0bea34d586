"""`coach-image-tools generate`, `refine`, `generate-all` and `accept`: identity images from the CLI."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer

from tool_server.cli import app, load_cli_settings
from tool_server.cli.output import (
    JsonOption,
    cost_text,
    likeness_text,
    print_json,
    print_table,
)
from tool_server.cli.tools_client import PENDING_POLL_S, ToolSession, run_image_tool, run_tools
from tool_server.cli.wording import for_person
from tool_server.settings import ProviderChoice


async def generate_image(
    session: ToolSession, arguments: dict[str, Any], progress: Any = None, poll_s: float = PENDING_POLL_S
) -> dict[str, Any]:
    """generate_identity_image, following a pending run with get_run; failures raise."""
    return await session.call_run("generate_identity_image", arguments, progress, poll_s)


def print_generation(result: dict[str, Any]) -> None:
    rows = [
        (c["image_id"], c.get("strategy"), likeness_text(c["likeness"]), c["image_id"] == result["image_id"])
        for c in result["candidates"]
    ]
    print_table(
        f"Run {result['run_id']}: {result['provider']} {result['model']}, {cost_text(result['cost_usd'])}, "
        f"{result['duration_s']:.1f} s",
        ("image_id", "strategy", "likeness", "chosen"),
        rows,
    )
    typer.echo(for_person(result["message"]))
    if result.get("image_url"):
        typer.echo(f"Image: {result['image_url']}")


@app.command()
def generate(
    identity_id: Annotated[str, typer.Argument(help="The identity_id from `identities save`.")],
    prompt: Annotated[str | None, typer.Option(help="A scenario added to the visualization.")] = None,
    strategy: Annotated[
        Literal["auto", "direct", "avatar", "generic_swap"], typer.Option(help="How the face is kept.")
    ] = "auto",
    candidates: Annotated[
        int | None, typer.Option(min=1, max=4, help="Images made in parallel; the best by likeness wins.")
    ] = None,
    provider: Annotated[ProviderChoice | None, typer.Option(help="Image provider override.")] = None,
    model: Annotated[str | None, typer.Option(help="Image model override, e.g. gpt-image-2.")] = None,
    size: Annotated[str, typer.Option(help="WxH, e.g. 1024x1024 or 1024x1536.")] = "1024x1024",
    quality: Annotated[
        Literal["low", "medium", "high", "auto"], typer.Option(help="Render quality.")
    ] = "high",
    json_out: JsonOption = False,
) -> None:
    """Make a picture of the user living an identity (generate_identity_image), scored for likeness."""
    arguments = {
        "identity_id": identity_id,
        "prompt": prompt,
        "strategy": strategy,
        "candidates": candidates,
        "provider": provider,
        "model": model,
        "size": size,
        "quality": quality,
    }

    run_image_tool(
        load_cli_settings(),
        "generate_identity_image",
        arguments,
        bar=f"generating ({strategy})",
        working="generating",
        done="generated",
        json_out=json_out,
        show=print_generation,
    )


@app.command()
def refine(
    image_id: Annotated[str, typer.Argument(help="The identity image to change.")],
    instruction: Annotated[str, typer.Argument(help="What to change, e.g. 'a blue jacket instead'.")],
    candidates: Annotated[int | None, typer.Option(min=1, max=4, help="Images made in parallel.")] = None,
    provider: Annotated[
        ProviderChoice | None, typer.Option(help="Default: the image's own provider.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Image model override.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Change an identity image by an instruction, keeping the face (refine_identity_image)."""
    arguments = {
        "image_id": image_id,
        "instruction": instruction,
        "candidates": candidates,
        "provider": provider,
        "model": model,
    }
    run_image_tool(
        load_cli_settings(),
        "refine_identity_image",
        arguments,
        bar="refining",
        working="refining",
        done="refined",
        json_out=json_out,
        show=print_generation,
    )


def print_batch(result: dict[str, Any]) -> None:
    rows = [
        (i["identity_id"], i["name"], i["status"], i.get("image_id"), i.get("likeness") or i.get("error"))
        for i in result["identities"]
    ]
    title = (
        f"Batch {result['run_id']}: estimated {cost_text(result.get('estimated_cost_usd'))}, "
        f"spent {cost_text(result.get('cost_usd'))}"
    )
    print_table(title, ("identity_id", "name", "status", "image_id", "likeness / error"), rows)
    typer.echo(result["message"])


@app.command("generate-all")
def generate_all(
    strategy: Annotated[
        Literal["auto", "direct", "avatar", "generic_swap"], typer.Option(help="How the face is kept.")
    ] = "auto",
    candidates: Annotated[int | None, typer.Option(min=1, max=4, help="Images per identity.")] = None,
    include_accepted: Annotated[
        bool, typer.Option("--include-accepted", help="Also identities with an accepted image.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """An image for every identity without an accepted one (generate_all_identity_images)."""
    arguments = {"strategy": strategy, "candidates": candidates, "include_accepted": include_accepted}
    run_image_tool(
        load_cli_settings(),
        "generate_all_identity_images",
        arguments,
        bar="generating for all identities",
        working="generating",
        done="generated",
        json_out=json_out,
        show=print_batch,
    )


@app.command()
def accept(
    identity_id: Annotated[str, typer.Argument(help="The identity the image belongs to.")],
    image_id: Annotated[
        str | None, typer.Option(help="The image to accept; default: the identity's current image.")
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Mark an image as the identity's accepted visualization (accept_identity_visualization)."""
    arguments = {"identity_id": identity_id, "image_id": image_id}
    result = run_tools(load_cli_settings(), lambda s: s.call("accept_identity_visualization", arguments))
    if json_out:
        print_json(result)
    else:
        typer.echo(for_person(result["message"]))
        typer.echo(f"Image: {result['image_url']}")
