"""The job -> accessory table of the dog avatars, read from `jobs.toml`."""

from __future__ import annotations

import difflib
import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from tool_server.errors import InvalidInput

JOBS_FILE = Path(__file__).with_name("jobs.toml")
DEFAULT_JOB = "default"


@dataclass(frozen=True)
class Job:
    name: str
    accessory: str  # empty for the plain dog


@functools.cache
def jobs() -> Mapping[str, Job]:
    """Every job in the order of `jobs.toml` (the 20 jobs, then `default`)."""
    with JOBS_FILE.open("rb") as handle:
        table = tomllib.load(handle)["jobs"]
    return MappingProxyType({name: Job(name, accessory) for name, accessory in table.items()})


def job_names() -> list[str]:
    return list(jobs())


def normalise_job(name: str) -> str:
    """`"  Developer "` -> `"developer"`: case-folded, whitespace trimmed and collapsed."""
    return " ".join(name.split()).casefold()


def resolve_job(name: str) -> Job:
    """The job called `name` (any case or spacing); InvalidInput names the valid jobs and the closest."""
    wanted = normalise_job(name)
    known = jobs()
    if wanted in known:
        return known[wanted]
    valid = ", ".join(known)
    closest = closest_job(wanted)
    hint = f" Did you mean {closest!r}?" if closest else ""
    raise InvalidInput(
        f"There is no dog avatar for the job {name!r}.{hint} Valid jobs: {valid}. "
        f"Call again with one of them ({DEFAULT_JOB!r} gives the dog without an accessory)."
    )


def closest_job(wanted: str) -> str | None:
    """The job whose name appears in `wanted` ("software developer"), else difflib's best close match."""
    names = [n for n in jobs() if n != DEFAULT_JOB]
    words = set(wanted.replace("-", " ").replace("_", " ").split())
    contained = [n for n in names if n in words]
    if len(contained) == 1:
        return contained[0]
    matches = difflib.get_close_matches(wanted, names, n=1, cutoff=0.5)
    return matches[0] if matches else None
