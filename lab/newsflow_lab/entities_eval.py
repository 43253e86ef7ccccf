"""Entities and quotes against public gold (``../shared/eval/entities-dev``; its README).

- **Entities**: 216 documents of the CoNLL-2003 English development split. Each page goes through
  ``newsflow extract``'s chain (so language detection, chunking and every correction count);
  scored as distinct (normalized text, type) pairs per document, OntoNotes labels mapped to
  PER/LOC/ORG/MISC, micro P/R/F1 per type; beside the raw ``en_core_web_sm`` on the gold text.
  An entity counts with its canonical name and each written form (its aliases: "Blinken" for
  "Antony Blinken"), as the gold lists each form once per document.
- **Quotes**: 216 PolNeAR articles (2016 US election news, seven outlets). A predicted quote
  matches a gold one when they share at least half of the longer one's tokens; detection P/R,
  and attribution accuracy: the share of matched quotes whose speaker contains the gold speaker's
  surname, for speakers named in the text and, apart, for pronoun speakers (resolved by the
  corpus's coreference, less reliable).

Nothing here is fitted: these figures are out-of-sample for the rules they measure, except that
the rules were written by people who looked at the errors on this development split (the test
splits are held out).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsflow_lab.corpus import EVAL_ROOT

TYPE_OF = {
    "PERSON": "PER",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "ORG": "ORG",
    **dict.fromkeys(("NORP", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE", "PRODUCT"), "MISC"),
}
TYPES = ("PER", "LOC", "ORG", "MISC")
_TOKEN = re.compile(r"\w+")


def entities_dir() -> Path | None:
    root = EVAL_ROOT / "entities-dev"
    return root if (root / "ner" / "gold.jsonl").is_file() else None


def _gold(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def normalized(text: str) -> str:
    text = re.sub(r"(?:'s|’s)$", "", " ".join(text.split()))
    return text.strip(" \"'“”‘’()[],.").lower()


@dataclass
class TypeCounts:
    tp: Counter[str] = field(default_factory=Counter)
    predicted: Counter[str] = field(default_factory=Counter)
    gold: Counter[str] = field(default_factory=Counter)

    def add(self, predicted: set[tuple[str, str]], gold: set[tuple[str, str]]) -> None:
        for _, kind in predicted & gold:
            self.tp[kind] += 1
        self.predicted.update(kind for _, kind in predicted)
        self.gold.update(kind for _, kind in gold)

    def prf(self, kind: str | None = None) -> tuple[float, float, float]:
        tp = sum(self.tp.values()) if kind is None else self.tp[kind]
        pred = sum(self.predicted.values()) if kind is None else self.predicted[kind]
        gold = sum(self.gold.values()) if kind is None else self.gold[kind]
        p, r = (tp / pred if pred else 0.0), (tp / gold if gold else 0.0)
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _typed(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(normalized(t), TYPE_OF[label]) for t, label in pairs if label in TYPE_OF and normalized(t)}


@dataclass
class EntityFigures:
    documents: int
    ours: TypeCounts
    raw: TypeCounts
    raw_model: str


def _extracted(root: Path, gold: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``newsflow extract``'s record of each gold page, by file name."""
    from newsflow_cli.extract_cmd import Extractor

    extractor = Extractor()
    try:
        return {Path(r["source"]).name: r for r in extractor.run([str(root / g["file"]) for g in gold])}
    finally:
        extractor.close()


def entity_figures(root: Path) -> EntityFigures:
    import spacy

    from newsflow_extract.entities import FALLBACK_MODEL

    gold = _gold(root / "ner" / "gold.jsonl")
    ours_by_file = _extracted(root, gold)
    try:
        nlp, model = spacy.load("en_core_web_sm"), "en_core_web_sm"
    except OSError:
        nlp, model = spacy.load(FALLBACK_MODEL), FALLBACK_MODEL
    ours, raw = TypeCounts(), TypeCounts()
    for g, doc in zip(gold, nlp.pipe([g["body"] for g in gold]), strict=True):
        truth = {(normalized(e["text"]), e["type"]) for e in g["entities"]}
        record = ours_by_file.get(Path(g["file"]).name, {})
        written = [
            (form, e["label"]) for e in record.get("entities", []) for form in (e["text"], *e.get("aliases", ()))
        ]
        ours.add(_typed(written), truth)
        raw.add(_typed((e.text, e.label_) for e in doc.ents), truth)
    return EntityFigures(len(gold), ours, raw, model)


def _folded(name: str) -> str:
    """Case and apostrophe folded: the gold writes "O'Malley" where the page has "O’Malley"."""
    return name.lower().replace("’", "'")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _overlap(a: str, b: str) -> float:
    ta, tb = Counter(_tokens(a)), Counter(_tokens(b))
    longer = max(sum(ta.values()), sum(tb.values()))
    return sum((ta & tb).values()) / longer if longer else 0.0


@dataclass
class QuoteFigures:
    articles: int
    gold: int
    predicted: int
    matched_gold: int
    matched_predicted: int
    named: int = 0
    named_right: int = 0
    pronoun: int = 0
    pronoun_right: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def precision(self) -> float:
        return self.matched_predicted / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched_gold / self.gold if self.gold else 0.0


def quote_figures(root: Path) -> QuoteFigures:
    gold = _gold(root / "quotes" / "gold.jsonl")
    ours_by_file = _extracted(root, gold)
    figures = QuoteFigures(len(gold), 0, 0, 0, 0)
    for article in gold:
        predicted = ours_by_file.get(Path(article["file"]).name, {}).get("quotes", [])
        figures.gold += len(article["quotes"])
        figures.predicted += len(predicted)
        used: set[int] = set()
        for quote in article["quotes"]:
            best = max(range(len(predicted)), key=lambda i: _overlap(quote["text"], predicted[i]["text"]), default=None)
            if best is None or _overlap(quote["text"], predicted[best]["text"]) < 0.5:
                continue
            figures.matched_gold += 1
            used.add(best)
            if not quote.get("surname"):  # the annotators named no one
                continue
            right = _folded(quote["surname"]) in _folded(predicted[best]["speaker"] or "")
            if quote.get("speaker_from") == "span":
                figures.named += 1
                figures.named_right += right
                if not right:
                    figures.errors["no speaker" if not predicted[best]["speaker"] else "another speaker"] += 1
            else:
                figures.pronoun += 1
                figures.pronoun_right += right
        figures.matched_predicted += len(used)
    return figures


def render(entities: EntityFigures | None, quotes: QuoteFigures | None) -> list[str]:
    lines: list[str] = []
    if entities is not None:
        lines.append(f"entities on CoNLL-2003 English dev ({entities.documents} documents, distinct per document)")
        for name, counts in (("newsflow", entities.ours), (f"raw {entities.raw_model}", entities.raw)):
            p, r, f = counts.prf()
            per_type = "  ".join(f"{k} {counts.prf(k)[2]:.3f}" for k in TYPES)
            lines.append(f"  {name:<28} P {p:.3f}  R {r:.3f}  F1 {f:.3f}   {per_type}")
    if quotes is not None:
        lines.append(f"quotes on PolNeAR dev+train ({quotes.articles} articles, {quotes.gold} gold quotes)")
        lines.append(f"  detection                    P {quotes.precision:.3f}  R {quotes.recall:.3f}")
        named = quotes.named_right / quotes.named if quotes.named else 0.0
        pronoun = quotes.pronoun_right / quotes.pronoun if quotes.pronoun else 0.0
        lines.append(
            f"  speaker right, named         {named:.3f} ({quotes.named_right}/{quotes.named})  errors {dict(quotes.errors)}"
        )
        lines.append(f"  speaker right, pronoun       {pronoun:.3f} ({quotes.pronoun_right}/{quotes.pronoun})")
    return lines


def main() -> int:
    root = entities_dir()
    if root is None:
        print("entities-dev not found beside the project: skipping")
        return 0
    print("\n".join(render(entity_figures(root), quote_figures(root))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
