"""The dog-avatar validation report: named checks (light: no numpy, so importing it is cheap)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


class ValidationCheck(BaseModel):
    """One named check: what was measured, the limit, whether it passed, and a sentence about it."""

    name: str
    passed: bool
    value: float
    threshold: float
    message: str


@dataclass(frozen=True)
class ValidationReport:
    checks: tuple[ValidationCheck, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failed(self) -> list[str]:
        return [check.name for check in self.checks if not check.passed]

    def check(self, name: str) -> ValidationCheck:
        return next(check for check in self.checks if check.name == name)
