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


@dataclass
class IssueList:
    items: list[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        self.items.append(issue)

    def error(self, file, sheet, row, column, value, message) -> None:
        self.items.append(Issue(file, sheet, row, column, value, message))

    def warn(self, file, sheet, row, column, value, message) -> None:
        self.items.append(Issue(file, sheet, row, column, value, message, WARNING))

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.items if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.items if i.severity == WARNING]


class ValidationError(Exception):
    """Raised when sources hold blocking errors; carries every finding."""

    def __init__(self, issues: IssueList) -> None:
        self.issues = issues
        super().__init__(f"{len(issues.errors)} erreur(s) bloquante(s)")
