"""BM25 over the workspace's definitions, for the code a function's name and docstring describe.

A definition's document is its qualified name, signature, docstring and the names it uses, all split
into lower-case words (`normalizeSku`, `normalize_sku` -> normalize, sku). Stop words go, and a
trailing plural "s" is cut so that "weights" finds "weight".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import bm25s
import numpy
from bm25s.stopwords import STOPWORDS_EN

from engine.context.definitions import Definition

WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
STOP_WORDS = frozenset(STOPWORDS_EN) | {"self", "cls", "none", "true", "false", "return", "def", "class"}


def words(text: str) -> list[str]:
    found = []
    for word in WORD.findall(text):
        word = word.lower()
        if len(word) < 2 or word in STOP_WORDS:
            continue
        found.append(word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word)
    return found


def document_words(definition: Definition) -> list[str]:
    return words(" ".join([definition.qualname, definition.signature, definition.docstring, *sorted(definition.uses)]))


class DefinitionSearch:
    def __init__(self, definitions: Sequence[Definition], previous: DefinitionSearch | None = None) -> None:
        """`previous` lends the words of the definitions it shares: after an edit, most of them."""
        self._definitions = list(definitions)
        reusable = previous._documents if previous else {}
        self._documents: dict[tuple[str, str], tuple[Definition, list[str]]] = {}
        for definition in self._definitions:
            key = (definition.path, definition.qualname)
            known = reusable.get(key)
            if known is None or known[0] is not definition:
                known = (definition, document_words(definition))
            self._documents[key] = known
        self._ranker = bm25s.BM25()
        if self._definitions:
            corpus = [self._documents[(definition.path, definition.qualname)][1] for definition in self._definitions]
            self._ranker.index(corpus, show_progress=False)

    def top(self, query_words: Iterable[str], limit: int) -> list[Definition]:
        """The best matches with a score above zero, best first."""
        query = list(dict.fromkeys(query_words))
        if not self._definitions or not query:
            return []
        scores = self._ranker.get_scores(query)
        best = numpy.argsort(-scores, kind="stable")[:limit]
        return [self._definitions[position] for position in best if scores[position] > 0]
