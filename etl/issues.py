"""Validation findings with the file, sheet, row and column they concern, worded in French."""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR = "erreur"
WARNING = "avertissement"


@dataclass(frozen=True)
class Issue:
    file: str | None
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    message: str
    severity: str = ERROR

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(f"fichier {self.file}")
        if self.sheet:
            parts.append(f"feuille « {self.sheet} »")
        if self.row is not None:
            parts.append(f"ligne {self.row}")
        if self.column:
            parts.append(f"colonne « {self.column} »")
        return ", ".join(parts)

    def __str__(self) -> str:
        value = f" (valeur : « {self.value} »)" if self.value not in (None, "") else ""
        label = "Erreur" if self.severity == ERROR else "Avertissement"
        where = self.location()
        return (
            f"{label} — {where} : {self.message}{value}" if where else f"{label} : {self.message}"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "gravite": self.severity,
            "fichier": self.file,
            "feuille": self.sheet,
            "ligne": self.row,
            "colonne": self.column,
            "valeur": self.value,
            "message": self.message,
        }


# Findings kept per severity: beyond, they are counted (a junk file can hold millions).
MAX_KEPT = 1000


def french_count(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


@dataclass
class IssueList:
    """Findings in the order found; past `limit` per severity only their number is kept."""

    items: list[Issue] = field(default_factory=list)
    limit: int = MAX_KEPT
    omitted: dict[str, int] = field(default_factory=lambda: {ERROR: 0, WARNING: 0})

    def __post_init__(self) -> None:
        self._kept = {ERROR: 0, WARNING: 0}
        for issue in self.items:
            self._kept[issue.severity] += 1

    def add(self, issue: Issue) -> None:
        if self._kept[issue.severity] >= self.limit:
            self.omitted[issue.severity] += 1
            return
        self._kept[issue.severity] += 1
        self.items.append(issue)

    def error(self, file, sheet, row, column, value, message) -> None:
        self.add(Issue(file, sheet, row, column, value, message))

    def warn(self, file, sheet, row, column, value, message) -> None:
        self.add(Issue(file, sheet, row, column, value, message, WARNING))

    def room(self, severity: str = ERROR) -> int:
        """How many more findings of `severity` would be kept."""
        return max(0, self.limit - self._kept[severity])

    def count_omitted(self, severity: str, n: int) -> None:
        self.omitted[severity] += n

    def extend(self, other: IssueList) -> None:
        for issue in other.items:
            self.add(issue)
        for severity, n in other.omitted.items():
            self.omitted[severity] += n

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.items if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.items if i.severity == WARNING]

    @property
    def error_count(self) -> int:
        return self._kept[ERROR] + self.omitted[ERROR]

    @property
    def warning_count(self) -> int:
        return self._kept[WARNING] + self.omitted[WARNING]

    def omitted_text(self, severity: str = ERROR) -> str | None:
        """« et 2 194 677 autres erreurs » when some were only counted."""
        n = self.omitted[severity]
        if not n:
            return None
        noun = "erreurs" if severity == ERROR else "avertissements"
        if n == 1:
            noun = noun[:-1]
        return f"… et {french_count(n)} {'autre' if n == 1 else 'autres'} {noun}"


class ValidationError(Exception):
    """Raised when sources hold blocking errors; carries every finding."""

    def __init__(self, issues: IssueList) -> None:
        self.issues = issues
        super().__init__(f"{french_count(issues.error_count)} erreur(s) bloquante(s)")
